from sqlalchemy import case, select
from sqlalchemy.orm import Session

from api.db import find_by_idempotency_key
from api.handoffs.models import Handoff, HandoffStatus
from api.handoffs.schemas import HandoffCreate, HandoffReason


def create_handoff(session: Session, data: HandoffCreate, idempotency_key: str | None) -> Handoff:
    existing: Handoff | None = find_by_idempotency_key(session, Handoff, idempotency_key)
    if existing is not None:
        return existing
    handoff = Handoff(**data.model_dump(), idempotency_key=idempotency_key)
    session.add(handoff)
    session.commit()
    return handoff


def list_open_handoffs(session: Session, limit: int = 100) -> list[Handoff]:
    query = (
        select(Handoff)
        .where(Handoff.status == HandoffStatus.open)
        .order_by(case((Handoff.reason == HandoffReason.emergency, 0), else_=1), Handoff.id)
        .limit(limit)
    )
    return list(session.scalars(query))
