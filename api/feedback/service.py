from sqlalchemy import select
from sqlalchemy.orm import Session

from api.bookings.models import Booking
from api.bookings.service import record_rating
from api.db import find_by_idempotency_key
from api.errors import InvalidInputError
from api.feedback.models import Feedback
from api.feedback.schemas import FeedbackCreate
from api.validation import parse_number


def create_feedback(
    session: Session, data: FeedbackCreate, idempotency_key: str | None
) -> Feedback:
    """Feedback about a known booking counts towards its provider's traffic light (and a
    rating closes a finished booking); other feedback is kept for staff as it is."""
    existing: Feedback | None = find_by_idempotency_key(session, Feedback, idempotency_key)
    if existing is not None:
        return existing
    if data.rating is None and not data.text:
        raise InvalidInputError("feedback needs a rating or a text")
    booking_id = parse_number(data.booking_number, "B") if data.booking_number else None
    booking = session.get(Booking, booking_id) if booking_id is not None else None
    # A conversation may rate only its own booking; any other number stays plain text.
    if booking is not None and booking.sender_id == data.sender_id:
        feedback = record_rating(
            session,
            booking,
            data.rating,
            data.text,
            data.is_complaint,
            data.channel,
            data.sender_id,
        )
        feedback.idempotency_key = idempotency_key
    else:
        feedback = Feedback(**data.model_dump(), idempotency_key=idempotency_key)
        session.add(feedback)
    session.commit()
    return feedback


def list_feedback(session: Session, limit: int = 100) -> list[Feedback]:
    return list(session.scalars(select(Feedback).order_by(Feedback.id.desc()).limit(limit)))
