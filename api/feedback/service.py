from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import find_by_idempotency_key
from api.errors import InvalidInputError
from api.feedback.models import Feedback
from api.feedback.schemas import FeedbackCreate


def create_feedback(
    session: Session, data: FeedbackCreate, idempotency_key: str | None
) -> Feedback:
    existing: Feedback | None = find_by_idempotency_key(session, Feedback, idempotency_key)
    if existing is not None:
        return existing
    if data.rating is None and not data.text:
        raise InvalidInputError("feedback needs a rating or a text")
    feedback = Feedback(**data.model_dump(), idempotency_key=idempotency_key)
    session.add(feedback)
    session.commit()
    return feedback


def list_feedback(session: Session, limit: int = 100) -> list[Feedback]:
    return list(session.scalars(select(Feedback).order_by(Feedback.id.desc()).limit(limit)))
