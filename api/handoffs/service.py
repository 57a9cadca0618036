from sqlalchemy import case, select
from sqlalchemy.orm import Session

from api.db import find_by_idempotency_key
from api.handoffs.models import Handoff, HandoffStatus
from api.handoffs.schemas import HandoffCreate, HandoffReason
from api.notifications.models import NotificationKind
from api.notifications.service import notify_staff
from common import labels


def create_handoff(session: Session, data: HandoffCreate, idempotency_key: str | None) -> Handoff:
    handoff = open_handoff(session, data=data, idempotency_key=idempotency_key)
    session.commit()
    return handoff


def open_handoff(session: Session, *, data: HandoffCreate, idempotency_key: str | None) -> Handoff:
    """A handoff and its alert to the workers, in the caller's transaction (once per key)."""
    existing: Handoff | None = find_by_idempotency_key(session, Handoff, idempotency_key)
    if existing is not None:
        return existing
    handoff = Handoff(**data.model_dump(), idempotency_key=idempotency_key)
    session.add(handoff)
    session.flush()  # the number, for the alert
    alert_workers(session, handoff=handoff)
    return handoff


def alert_workers(session: Session, *, handoff: Handoff) -> None:
    """Workers on duty hear of every handoff on 企业微信 (an emergency marked as one), sent
    from the notifications outbox written in this same transaction."""
    emergency = handoff.reason == HandoffReason.emergency
    heading = "【紧急】居民求助" if emergency else "居民请求人工"
    if emergency and handoff.danger:
        # A kind this backend has no word for yet is named as stored, as everywhere in the
        # console: the worker still learns whom to send.
        heading += f"（{labels.DANGER.get(handoff.danger, handoff.danger)}）"
    words = f"：“{handoff.last_message[:120]}”" if handoff.last_message else ""
    channel = labels.CHANNEL.get(handoff.channel, handoff.channel)
    notify_staff(
        session,
        kind=NotificationKind.emergency if emergency else NotificationKind.handoff,
        subject=handoff.number,
        text=f"{heading} {handoff.number}（{channel}）{words}",
        link="/console/",
    )


def list_open_handoffs(session: Session, limit: int = 100) -> list[Handoff]:
    query = (
        select(Handoff)
        .where(Handoff.status == HandoffStatus.open)
        .order_by(case((Handoff.reason == HandoffReason.emergency, 0), else_=1), Handoff.id)
        .limit(limit)
    )
    return list(session.scalars(query))
