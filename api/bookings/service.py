from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.bookings.models import Booking, BookingStatus
from api.bookings.schemas import BookingCreate
from api.catalogue.service import require_service
from api.db import find_by_idempotency_key, utcnow
from api.errors import ConflictError, InvalidInputError, NotFoundError
from api.residents.models import Resident
from api.residents.service import find_or_create_by_phone
from api.validation import parse_number

# Services are booked for the coming weeks; anything else is almost surely a mis-heard date.
BOOKING_HORIZON = timedelta(days=90)
# A booking "for now" arrives a moment after its time; do not refuse it for that.
PAST_TOLERANCE = timedelta(minutes=30)


def create_booking(session: Session, data: BookingCreate, idempotency_key: str | None) -> Booking:
    existing: Booking | None = find_by_idempotency_key(session, Booking, idempotency_key)
    if existing is not None:
        return existing
    require_service(data.service)
    now = utcnow()
    if data.scheduled_at < now - PAST_TOLERANCE:
        raise InvalidInputError("scheduled_at is in the past")
    if data.scheduled_at > now + BOOKING_HORIZON:
        raise InvalidInputError("scheduled_at is more than 90 days ahead")
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
    )
    session.add(booking)
    session.commit()
    return booking


def get_booking(session: Session, number: str) -> Booking:
    booking_id = parse_number(number, Booking.NUMBER_PREFIX)
    booking = session.get(Booking, booking_id) if booking_id is not None else None
    if booking is None:
        raise NotFoundError(f"Booking {number} not found")
    return booking


def list_bookings(
    session: Session, sender_id: str | None = None, phone: str | None = None, limit: int = 100
) -> list[Booking]:
    query = select(Booking).order_by(Booking.id.desc()).limit(limit)
    if sender_id:
        query = query.where(Booking.sender_id == sender_id)
    if phone:
        query = query.join(Resident).where(Resident.phone == phone)
    return list(session.scalars(query))


def cancel_booking(session: Session, number: str, reason: str) -> Booking:
    booking = get_booking(session, number)
    if booking.status == BookingStatus.cancelled:
        return booking
    if booking.status != BookingStatus.requested:
        raise ConflictError(f"Booking {number} is {booking.status} and can no longer be cancelled")
    booking.status = BookingStatus.cancelled
    booking.cancel_reason = reason
    session.commit()
    return booking
