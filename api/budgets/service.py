"""Service-assistance budgets: released in stages, drawn down by bookings, never overspent."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.bookings.models import Booking, BookingStatus
from api.budgets.models import ServiceBudget
from api.budgets.schemas import BudgetCreate, BudgetOut
from api.db import get_or_not_found
from api.errors import ConflictError, InvalidInputError
from api.residents.models import Resident

# Dongsheng, Ordos (2024): the year's budget is chosen in three stages of 40 %, 40 % and 20 %.
STAGE_SHARES_PERCENT = (40, 40, 20)


def to_yuan(fen: int) -> float:
    return fen / 100


def to_fen(yuan: float) -> int:
    return round(yuan * 100)


def released_fen(budget: ServiceBudget) -> int:
    return budget.annual_fen * sum(STAGE_SHARES_PERCENT[: budget.stage]) // 100


def spent_fen(session: Session, budget: ServiceBudget) -> int:
    spent = session.scalar(
        select(func.coalesce(func.sum(Booking.price_fen), 0)).where(
            Booking.budget_id == budget.id, Booking.status != BookingStatus.cancelled
        )
    )
    return int(spent or 0)


def budget_out(session: Session, budget: ServiceBudget) -> BudgetOut:
    released, spent = released_fen(budget), spent_fen(session, budget)
    return BudgetOut(
        id=budget.id,
        resident_id=budget.resident_id,
        year=budget.year,
        policy_code=budget.policy_code,
        annual_yuan=to_yuan(budget.annual_fen),
        stage=budget.stage,
        stage_shares_percent=list(STAGE_SHARES_PERCENT),
        released_yuan=to_yuan(released),
        spent_yuan=to_yuan(spent),
        available_yuan=to_yuan(released - spent),
        created_at=budget.created_at,
    )


def create_budget(session: Session, data: BudgetCreate) -> ServiceBudget:
    if session.get(Resident, data.resident_id) is None:
        raise InvalidInputError(f"Resident {data.resident_id} not found")
    existing = session.scalar(
        select(ServiceBudget).where(
            ServiceBudget.resident_id == data.resident_id, ServiceBudget.year == data.year
        )
    )
    if existing is not None:
        raise ConflictError(f"Resident {data.resident_id} already has a budget for {data.year}")
    budget = ServiceBudget(
        resident_id=data.resident_id, year=data.year, annual_fen=to_fen(data.annual_yuan)
    )
    session.add(budget)
    session.commit()
    return budget


def get_budget(session: Session, budget_id: int) -> ServiceBudget:
    return get_or_not_found(session, ServiceBudget, budget_id, f"Budget {budget_id}")


def list_budgets(session: Session, resident_id: int | None) -> list[ServiceBudget]:
    query = select(ServiceBudget).order_by(ServiceBudget.id)
    if resident_id is not None:
        query = query.where(ServiceBudget.resident_id == resident_id)
    return list(session.scalars(query))


def release_next_stage(session: Session, budget_id: int) -> ServiceBudget:
    budget = get_budget(session, budget_id)
    if budget.stage >= len(STAGE_SHARES_PERCENT):
        raise ConflictError(f"Budget {budget_id} has released all its stages")
    budget.stage += 1
    session.commit()
    return budget


def draw(session: Session, resident: Resident, year: int, price_fen: int) -> ServiceBudget:
    """The resident's budget for `year`, locked, after checking it can pay `price_fen`.

    The caller adds the booking in the same transaction, so the draw and the booking commit
    (or fail) together.
    """
    budget = session.scalar(
        select(ServiceBudget)
        .where(ServiceBudget.resident_id == resident.id, ServiceBudget.year == year)
        .with_for_update()
    )
    if budget is None:
        raise ConflictError(f"The resident has no service-assistance budget for {year}")
    released, spent = released_fen(budget), spent_fen(session, budget)
    if spent + price_fen > released:
        raise ConflictError(
            f"Budget would be overspent: stage {budget.stage} of {len(STAGE_SHARES_PERCENT)} "
            f"releases {to_yuan(released):.2f} yuan, {to_yuan(spent):.2f} already spent, "
            f"{to_yuan(released - spent):.2f} left; this booking costs {to_yuan(price_fen):.2f}"
        )
    return budget


def affordable_budget(
    session: Session, resident: Resident, year: int, price_fen: int
) -> ServiceBudget | None:
    """The resident's budget for `year` when it can pay `price_fen`, else None."""
    try:
        return draw(session, resident, year, price_fen)
    except ConflictError:
        return None
