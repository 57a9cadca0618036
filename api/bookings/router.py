from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.models import Role
from api.auth.service import Principal
from api.bookings import dispatching, reports, service
from api.bookings.models import Booking, BookingStatus
from api.bookings.schemas import (
    BookingCancel,
    BookingCheckIn,
    BookingCheckOut,
    BookingCreate,
    BookingDispatch,
    BookingOut,
    BookingRating,
    ServiceShare,
)
from api.deps import (
    AnyPrincipal,
    IdempotencyKey,
    IntakePrincipal,
    SessionDep,
    StaffPrincipal,
    WorkerPrincipal,
    require_own_records,
    require_owner,
)
from api.masking import phone_shown_to
from api.stats import MAX_WEEKS, WeeklyCount

router = APIRouter(prefix="/bookings", tags=["bookings"])


@router.post("", response_model=BookingOut, status_code=status.HTTP_201_CREATED)
def create_booking(
    data: BookingCreate,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: IdempotencyKey,
) -> Booking:
    """Book a home service. A retry with the same Idempotency-Key returns the first booking.

    With use_budget=true the price is drawn from the resident's service-assistance budget;
    a booking that would overspend the released stages is refused (409) with the figures.
    """
    return service.create_booking(session, data, idempotency_key)


@router.get("", response_model=list[BookingOut])
def list_bookings(
    session: SessionDep,
    caller: AnyPrincipal,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    booking_status: Annotated[BookingStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[BookingOut]:
    """Channels list one conversation's bookings; workers see the orders dispatched to them.
    The phone is masked for callers that do not call the resident (api/masking.py)."""
    require_own_records(caller, sender_id)
    worker = caller.name if caller.role == Role.provider_worker else None
    bookings = service.list_bookings(
        session,
        sender_id=sender_id,
        phone=phone,
        worker=worker,
        status=booking_status,
        limit=limit,
    )
    return [_as_seen_by(caller, booking) for booking in bookings]


def _as_seen_by(caller: Principal, booking: Booking) -> BookingOut:
    shown = BookingOut.model_validate(booking)
    phone = phone_shown_to(caller, booking.phone, assigned_worker=booking.worker_username)
    return shown.model_copy(update={"phone": phone})


@router.get("/{number}", response_model=BookingOut)
def read_booking(
    number: str,
    session: SessionDep,
    caller: AnyPrincipal,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
) -> BookingOut:
    """One booking. Channels must pass the sender_id it was booked for."""
    booking = service.get_booking(session, number)
    require_owner(caller, sender_id, booking.sender_id, f"Booking {number}")
    service.require_assigned_worker(booking, caller)
    return _as_seen_by(caller, booking)


@router.post("/{number}/cancel", response_model=BookingOut)
def cancel_booking(
    number: str, data: BookingCancel, session: SessionDep, caller: IntakePrincipal
) -> Booking:
    """Cancel a booking before the worker arrives; the reason is kept for the provider and a
    budget draw is given back."""
    require_owner(
        caller, data.sender_id, service.get_booking(session, number).sender_id, f"Booking {number}"
    )
    return service.cancel_booking(session, number, data.reason)


@router.post("/{number}/dispatch", response_model=BookingOut)
def dispatch_booking(
    number: str, data: BookingDispatch, session: SessionDep, _staff: StaffPrincipal
) -> Booking:
    """派单: send the booking to a worker of a provider (not to a provider on red)."""
    return dispatching.dispatch(session, number, data)


@router.post("/{number}/accept", response_model=BookingOut)
def accept_booking(number: str, session: SessionDep, caller: WorkerPrincipal) -> Booking:
    """接单: the assigned worker takes the order."""
    return service.accept(session, number, caller)


@router.post("/{number}/check-in", response_model=BookingOut)
def check_in_booking(
    number: str, data: BookingCheckIn, session: SessionDep, caller: WorkerPrincipal
) -> Booking:
    """The worker arrived: the time is recorded, with a photo when the app sends one."""
    return service.check_in(session, number, data, caller)


@router.post("/{number}/check-out", response_model=BookingOut)
def check_out_booking(
    number: str, data: BookingCheckOut, session: SessionDep, caller: WorkerPrincipal
) -> Booking:
    """The worker finished; a callback (回访) is scheduled for the next day."""
    return service.check_out(session, number, data, caller)


@router.post("/{number}/rate", response_model=BookingOut)
def rate_booking(
    number: str, data: BookingRating, session: SessionDep, caller: IntakePrincipal
) -> Booking:
    """评单: the resident rates a finished service (via a channel or a social worker)."""
    if caller.role == Role.channel:
        booking = service.get_booking(session, number)
        require_owner(caller, data.sender_id, booking.sender_id, f"Booking {number}")
    return service.rate(session, number, data)


@router.get("/stats/service-mix", response_model=list[ServiceShare])
def service_mix(
    session: SessionDep,
    staff: StaffPrincipal,
    days: Annotated[int, Query(ge=1, le=366)] = 90,
) -> list[ServiceShare]:
    """Bookings per service over the last `days` days, with each service's share."""
    return reports.service_mix(session, days)


@router.get("/stats/weekly-volume", response_model=list[WeeklyCount])
def weekly_volume(
    session: SessionDep,
    staff: StaffPrincipal,
    weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS)] = 8,
) -> list[WeeklyCount]:
    """Bookings per channel per week (weeks start on Monday, UTC), zeros included."""
    return reports.weekly_volume(session, weeks)
