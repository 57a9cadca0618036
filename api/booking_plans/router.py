from typing import Annotated

from fastapi import APIRouter, Query, status

from api.booking_plans import service
from api.booking_plans.models import BookingPlan
from api.booking_plans.schemas import BookingPlanCancel, BookingPlanCreate, BookingPlanOut
from api.deps import (
    AnyPrincipal,
    IdempotencyKey,
    IntakePrincipal,
    SessionDep,
    require_own_records,
    require_owner,
)

router = APIRouter(prefix="/booking-plans", tags=["booking plans"])


@router.post("", response_model=BookingPlanOut, status_code=status.HTTP_201_CREATED)
def create_plan(
    data: BookingPlanCreate,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: IdempotencyKey,
) -> BookingPlan:
    """Book a recurring service: one booking per planned day from `scheduled_at` (the first
    occurrence, whose time of day every occurrence keeps) to `last_day`, all or none. Each
    occurrence is dispatched, served, rated and charged like a one-off booking; one can be
    cancelled on its own (`POST /bookings/{number}/cancel`), or the rest of the plan here."""
    return service.create_plan(session, data=data, idempotency_key=idempotency_key)


@router.get("", response_model=list[BookingPlanOut])
def list_plans(
    session: SessionDep,
    caller: AnyPrincipal,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[BookingPlan]:
    require_own_records(caller, sender_id)
    return service.list_plans(session, sender_id=sender_id, limit=limit)


@router.get("/{number}", response_model=BookingPlanOut)
def read_plan(
    number: str,
    session: SessionDep,
    caller: AnyPrincipal,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
) -> BookingPlan:
    plan = service.get_plan(session, number)
    require_owner(caller, sender_id, plan.sender_id, f"Booking plan {number}")
    return plan


@router.post("/{number}/cancel", response_model=BookingPlanOut)
def cancel_rest(
    number: str, data: BookingPlanCancel, session: SessionDep, caller: IntakePrincipal
) -> BookingPlan:
    """Call off the rest of the plan; occurrences already served or under way stay."""
    plan = service.get_plan(session, number)
    require_owner(caller, data.sender_id, plan.sender_id, f"Booking plan {number}")
    return service.cancel_rest(session, number=number, reason=data.reason)
