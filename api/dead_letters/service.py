"""Storing and listing the outbox's dead letters."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.service import Principal
from api.dead_letters.models import DeadLetter
from api.dead_letters.schemas import DeadLetterCreate
from common.personal_numbers import redact_personal_numbers


def record_dead_letter(
    session: Session, *, data: DeadLetterCreate, principal: Principal
) -> DeadLetter:
    """Store a report once per outbox row (the reporter retries until it got an answer)."""
    existing = session.scalar(
        select(DeadLetter).where(DeadLetter.idempotency_key == data.idempotency_key)
    )
    if existing is not None:
        return existing
    letter = DeadLetter(
        path=data.path,
        status_code=data.status_code,
        # A refusal's detail may quote the refused input: no ID number or phone in clear.
        detail=redact_personal_numbers(data.detail),
        summary=redact_personal_numbers(data.summary),
        idempotency_key=data.idempotency_key,
        reported_by=f"{principal.kind}:{principal.name}",
    )
    session.add(letter)
    session.commit()
    return letter


def list_dead_letters(session: Session, *, limit: int = 100) -> list[DeadLetter]:
    return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)))
