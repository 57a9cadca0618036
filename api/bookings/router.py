from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.bookings import service
from api.bookings.models import Booking
from api.bookings.schemas import BookingCancel, BookingCreate, BookingOut
from api.deps import IntakePrincipal, SessionDep, require_own_records

router = APIRouter(prefix="/bookings", tags=["bookings"])


@router.post("", response_model=BookingOut, status_code=status.HTTP_201_CREATED)
def create_booking(
    data: BookingCreate,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Booking:
    """Book a home service. A retry with the same Idempotency-Key returns the first booking."""
    return service.create_booking(session, data, idempotency_key)


@router.get("", response_model=list[BookingOut])
def list_bookings(
    session: SessionDep,
    caller: IntakePrincipal,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Booking]:
    require_own_records(caller, sender_id)
    return service.list_bookings(session, sender_id=sender_id, phone=phone, limit=limit)


@router.get("/{number}", response_model=BookingOut)
def read_booking(number: str, session: SessionDep, _caller: IntakePrincipal) -> Booking:
    return service.get_booking(session, number)


@router.post("/{number}/cancel", response_model=BookingOut)
def cancel_booking(
    number: str, data: BookingCancel, session: SessionDep, _caller: IntakePrincipal
) -> Booking:
    """Cancel a booking that has not been served yet; the reason is kept for the provider."""
    return service.cancel_booking(session, number, data.reason)
