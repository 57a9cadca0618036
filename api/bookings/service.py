"""Bookings: intake, budget draw-down and the dispatch lifecycle
requested → dispatched → accepted → checked_in → checked_out → rated (or cancelled)."""

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.auth.models import Role
from api.auth.service import Principal
from api.bookings.models import Booking, BookingStatus
from api.bookings.schemas import (
    BookingCheckIn,
    BookingCheckOut,
    BookingCreate,
    BookingRating,
)
from api.budgets.service import affordable_budget, draw, to_fen
from api.callbacks.models import Callback
from api.catalogue.service import load_services, require_service
from api.db import find_by_idempotency_key, get_or_not_found, utcnow
from api.errors import ConflictError, InvalidInputError, PermissionDeniedError
from api.feedback.models import Feedback
from api.notifications.models import NotificationKind
from api.notifications.service import notify_resident
from api.residents.models import Resident
from api.residents.service import find_or_create_by_phone, linked_residents
from api.validation import parse_number

# Services are booked for the coming weeks; anything else is almost surely a mis-heard date.
BOOKING_HORIZON = timedelta(days=90)
# A booking "for now" arrives a moment after its time; do not refuse it for that.
PAST_TOLERANCE = timedelta(minutes=30)
# Lubei calls residents back after a service to ask how it went: the next day.
CALLBACK_DELAY = timedelta(days=1)
CANCELLABLE = (BookingStatus.requested, BookingStatus.dispatched, BookingStatus.accepted)


def create_booking(session: Session, data: BookingCreate, idempotency_key: str | None) -> Booking:
    existing: Booking | None = find_by_idempotency_key(session, Booking, idempotency_key)
    if existing is not None:
        return existing
    booking = add_booking(session, data=data, idempotency_key=idempotency_key)
    session.commit()
    return booking


def add_booking(
    session: Session,
    *,
    data: BookingCreate,
    idempotency_key: str | None = None,
    plan_id: int | None = None,
) -> Booking:
    """One booking, its price and budget draw, in the caller's transaction (a plan adds one
    per occurrence and commits them together)."""
    service = require_service(data.service)
    now = utcnow()
    if data.scheduled_at < now - PAST_TOLERANCE:
        raise InvalidInputError("scheduled_at is in the past")
    if data.scheduled_at > now + BOOKING_HORIZON:
        raise InvalidInputError("scheduled_at is more than 90 days ahead")
    price = data.price_yuan if data.price_yuan is not None else service.price_yuan
    if data.use_budget and price is None:
        raise InvalidInputError(
            f"price_yuan is needed to pay '{data.service}' from a budget: "
            "the catalogue has no fixed price for it"
        )
    resident = find_or_create_by_phone(session, data.phone, data.name, data.address)
    booking = Booking(
        resident=resident,
        service_code=data.service,
        scheduled_at=data.scheduled_at,
        time_text=data.time_text,
        address=data.address,
        note=data.note,
        channel=data.channel,
        sender_id=data.sender_id,
        idempotency_key=idempotency_key,
        plan_id=plan_id,
        price_fen=None if price is None else to_fen(price),
    )
    if booking.price_fen is not None and data.use_budget is not False:
        session.flush()
        year = data.scheduled_at.year
        if data.use_budget:
            booking.budget_id = draw(session, resident, year, booking.price_fen).id
        elif budget := affordable_budget(session, resident, year, booking.price_fen):
            # Not said either way (residents do not know their budget): it pays when it can.
            booking.budget_id = budget.id
    session.add(booking)
    return booking


def get_booking(session: Session, number: str) -> Booking:
    booking_id = parse_number(number, Booking.NUMBER_PREFIX)
    return get_or_not_found(session, Booking, booking_id, f"Booking {number}")


def list_bookings(
    session: Session,
    sender_id: str | None = None,
    phone: str | None = None,
    worker: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[Booking]:
    query = select(Booking).order_by(Booking.id.desc()).limit(limit)
    if sender_id:
        query = query.where(
            or_(
                Booking.sender_id == sender_id, Booking.resident_id.in_(linked_residents(sender_id))
            )
        )
    if phone:
        query = query.join(Resident).where(Resident.phone == phone)
    if worker:
        query = query.where(Booking.worker_username == worker)
    if status:
        query = query.where(Booking.status == status)
    return list(session.scalars(query))


def require_status(booking: Booking, *allowed: BookingStatus) -> None:
    if booking.status not in allowed:
        raise ConflictError(
            f"Booking {booking.number} is {booking.status}; this step needs it to be "
            f"{' or '.join(allowed)}"
        )


def require_assigned_worker(booking: Booking, principal: Principal) -> None:
    """Workers act only on the bookings dispatched to them; staff may act for them."""
    if principal.role == Role.provider_worker and booking.worker_username != principal.name:
        raise PermissionDeniedError(f"Booking {booking.number} is not dispatched to you")


def cancel_booking(session: Session, number: str, reason: str) -> Booking:
    booking = get_booking(session, number)
    if booking.status == BookingStatus.cancelled:
        return booking
    if booking.status not in CANCELLABLE:
        raise ConflictError(f"Booking {number} is {booking.status} and can no longer be cancelled")
    mark_cancelled(booking, reason)
    session.commit()
    return booking


def mark_cancelled(booking: Booking, reason: str) -> None:
    """Cancel in the caller's transaction; a budget draw is given back by the budget's sums,
    which leave cancelled bookings out."""
    booking.status = BookingStatus.cancelled
    booking.cancel_reason = reason
    booking.cancelled_at = utcnow()


RESIDENT_NOTICES = {
    NotificationKind.worker_assigned: (
        "您预约的{service}（{number}）已安排服务人员，上门前会和您联系。"
    ),
    NotificationKind.booking_confirmed: (
        "您预约的{service}（{number}）服务人员已接单，会按约定时间上门。"
    ),
}


def tell_resident(session: Session, *, booking: Booking, kind: NotificationKind) -> None:
    """A notice to the resident's WeChat (if they are on it) that the booking moved on."""
    service = load_services().get(booking.service_code)
    moved_at = booking.accepted_at or booking.dispatched_at or utcnow()
    notify_resident(
        session,
        kind=kind,
        resident_id=booking.resident_id,
        sender_id=booking.sender_id,
        subject=booking.number,
        text=RESIDENT_NOTICES[kind].format(
            service=service.name if service else booking.service_code, number=booking.number
        ),
        event=moved_at.isoformat(),
    )


def accept(session: Session, number: str, principal: Principal) -> Booking:
    booking = get_booking(session, number)
    require_assigned_worker(booking, principal)
    require_status(booking, BookingStatus.dispatched)
    booking.status = BookingStatus.accepted
    booking.accepted_at = utcnow()
    tell_resident(session, booking=booking, kind=NotificationKind.booking_confirmed)
    session.commit()
    return booking


def check_in(session: Session, number: str, data: BookingCheckIn, principal: Principal) -> Booking:
    booking = get_booking(session, number)
    require_assigned_worker(booking, principal)
    require_status(booking, BookingStatus.accepted)
    booking.status = BookingStatus.checked_in
    booking.checked_in_at = utcnow()
    booking.check_in_photo_url = str(data.photo_url) if data.photo_url else None
    session.commit()
    return booking


def check_out(
    session: Session, number: str, data: BookingCheckOut, principal: Principal
) -> Booking:
    booking = get_booking(session, number)
    require_assigned_worker(booking, principal)
    require_status(booking, BookingStatus.checked_in)
    now = utcnow()
    booking.status = BookingStatus.checked_out
    booking.checked_out_at = now
    booking.check_out_photo_url = str(data.photo_url) if data.photo_url else None
    booking.service_report = data.report
    session.add(
        Callback(
            resident_id=booking.resident_id,
            booking_id=booking.id,
            due_at=now + CALLBACK_DELAY,
            purpose=f"回访：{booking.number} 服务情况",
        )
    )
    session.commit()
    return booking


def record_rating(
    session: Session,
    booking: Booking,
    rating: int | None,
    text: str,
    is_complaint: bool,
    channel: str,
    sender_id: str | None,
) -> Feedback:
    """Feedback on a booking, counted towards its provider; a rating closes a served booking.

    Adds to the caller's transaction without committing.
    """
    feedback = Feedback(
        channel=channel,
        sender_id=sender_id,
        rating=rating,
        is_complaint=is_complaint,
        text=text,
        booking_number=booking.number,
        provider_id=booking.provider_id,
        resident_id=booking.resident_id,
    )
    session.add(feedback)
    if rating is not None and booking.status == BookingStatus.checked_out:
        booking.status = BookingStatus.rated
        booking.rating = rating
        booking.rated_at = utcnow()
    return feedback


def rate(session: Session, number: str, data: BookingRating) -> Booking:
    booking = get_booking(session, number)
    require_status(booking, BookingStatus.checked_out)
    record_rating(
        session, booking, data.rating, data.text, data.is_complaint, data.channel, data.sender_id
    )
    session.commit()
    return booking
