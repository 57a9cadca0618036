from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.service import Principal
from api.bookings.models import Booking
from api.bookings.service import record_rating
from api.callbacks.models import Callback, CallbackStatus
from api.callbacks.schemas import CallbackCreate, CallbackRecord
from api.db import get_or_not_found, utcnow
from api.errors import ConflictError, InvalidInputError
from api.residents.models import Resident
from api.validation import Channel


def create_callback(session: Session, data: CallbackCreate) -> Callback:
    if session.get(Resident, data.resident_id) is None:
        raise InvalidInputError(f"Resident {data.resident_id} not found")
    callback = Callback(**data.model_dump())
    session.add(callback)
    session.commit()
    return callback


def get_callback(session: Session, callback_id: int) -> Callback:
    return get_or_not_found(session, Callback, callback_id, f"Callback {callback_id}")


def list_callbacks(session: Session, status: str | None, limit: int) -> list[Callback]:
    query = select(Callback).order_by(Callback.due_at, Callback.id).limit(limit)
    if status:
        query = query.where(Callback.status == status)
    return list(session.scalars(query))


def callbacks_due(session: Session, *, before: datetime, limit: int) -> list[Callback]:
    """Scheduled callbacks due before `before`, overdue ones included, the earliest first."""
    query = (
        select(Callback)
        .where(Callback.status == CallbackStatus.scheduled, Callback.due_at < before)
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def record_callback(
    session: Session, callback_id: int, data: CallbackRecord, principal: Principal
) -> Callback:
    """What the resident said on the callback; a rating counts towards the provider."""
    callback = get_callback(session, callback_id)
    if callback.status != CallbackStatus.scheduled:
        raise ConflictError(f"Callback {callback_id} is already recorded ({callback.status})")
    if not data.reached and (data.rating is not None or data.is_complaint):
        raise InvalidInputError("A rating or complaint needs the resident to have been reached")
    callback.status = CallbackStatus.done if data.reached else CallbackStatus.unreachable
    callback.rating = data.rating
    callback.note = data.note
    callback.recorded_by = f"{principal.kind}:{principal.name}"
    callback.recorded_at = utcnow()
    if callback.booking_id is not None and (data.rating is not None or data.is_complaint):
        booking = session.get(Booking, callback.booking_id)
        if booking is not None:
            record_rating(
                session,
                booking,
                data.rating,
                data.note,
                data.is_complaint,
                Channel.staff,
                None,
            )
    session.commit()
    return callback
