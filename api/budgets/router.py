from typing import Annotated

from fastapi import APIRouter, Query, status

from api.budgets import service
from api.budgets.schemas import BudgetCreate, BudgetOut
from api.deps import SessionDep, StaffPrincipal
from api.validation import RecordId

router = APIRouter(prefix="/budgets", tags=["budgets"])


@router.post("", response_model=BudgetOut, status_code=status.HTTP_201_CREATED)
def create_budget(data: BudgetCreate, session: SessionDep, _staff: StaffPrincipal) -> BudgetOut:
    """Grant a resident a year's service-assistance budget; stage 1 (40 %) is released."""
    return service.budget_out(session, service.create_budget(session, data))


@router.get("", response_model=list[BudgetOut])
def list_budgets(
    session: SessionDep,
    _staff: StaffPrincipal,
    resident_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[BudgetOut]:
    return [service.budget_out(session, b) for b in service.list_budgets(session, resident_id)]


@router.get("/{budget_id}", response_model=BudgetOut)
def read_budget(budget_id: RecordId, session: SessionDep, _staff: StaffPrincipal) -> BudgetOut:
    return service.budget_out(session, service.get_budget(session, budget_id))


@router.post("/{budget_id}/next-stage", response_model=BudgetOut)
def release_next_stage(
    budget_id: RecordId, session: SessionDep, _staff: StaffPrincipal
) -> BudgetOut:
    """Release the next stage (40 % → 80 % → 100 %) once the resident chose the next services."""
    return service.budget_out(session, service.release_next_stage(session, budget_id))
