"""Writing notices with the change they tell of, and handing them to the WeChat front.

Every writer calls `notify_staff` / `notify_resident` inside its own transaction and commits
as it always does: the notice lands with the record or not at all."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.callbacks.models import Callback, CallbackStatus
from api.db import get_or_not_found, utcnow
from api.notifications.models import Audience, Notification, NotificationKind
from api.residents.models import Resident
from common.personal_numbers import redact_personal_numbers

WECHAT_PREFIX = "wx:"
MAX_TEXT_CHARS = 500
CALLBACK_NUMBER_PREFIX = "CB"


def _add(
    session: Session,
    *,
    audience: Audience,
    kind: NotificationKind,
    recipient: str | None,
    subject: str,
    text: str,
    link: str,
    dedupe_key: str,
) -> None:
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return
    session.add(
        Notification(
            audience=audience,
            kind=kind,
            recipient=recipient,
            subject=subject,
            text=redact_personal_numbers(text)[:MAX_TEXT_CHARS],
            link=link,
            dedupe_key=dedupe_key,
        )
    )


def notify_staff(
    session: Session, *, kind: NotificationKind, subject: str, text: str, link: str
) -> None:
    """An alert for the workers on duty (企业微信), once per record and kind."""
    _add(
        session,
        audience=Audience.staff,
        kind=kind,
        recipient=None,
        subject=subject,
        text=text,
        link=link,
        dedupe_key=f"{kind}:{subject}",
    )


def wechat_of(session: Session, *, resident_id: int | None, sender_id: str | None) -> str | None:
    """The WeChat conversation a resident is reached in: the one the record came from, else
    the one the resident linked (None: not on WeChat, no notice)."""
    if sender_id and sender_id.startswith(WECHAT_PREFIX):
        return sender_id
    if resident_id is None:
        return None
    resident = session.get(Resident, resident_id)
    return resident.wechat_id if resident is not None else None


def notify_resident(
    session: Session,
    *,
    kind: NotificationKind,
    resident_id: int | None,
    sender_id: str | None,
    subject: str,
    text: str,
    event: str,
) -> None:
    """A notice to the resident's WeChat, if they are reachable there. `event` tells apart two
    notices of one kind about the same record (a booking dispatched again)."""
    recipient = wechat_of(session, resident_id=resident_id, sender_id=sender_id)
    if recipient is None:
        return
    _add(
        session,
        audience=Audience.resident,
        kind=kind,
        recipient=recipient,
        subject=subject,
        text=text,
        link="",
        dedupe_key=f"{kind}:{subject}:{event}",
    )


def callback_number(callback_id: int) -> str:
    return f"{CALLBACK_NUMBER_PREFIX}{callback_id:06d}"


def note_overdue_callbacks(
    session: Session, *, now: datetime, grace: timedelta, local: ZoneInfo
) -> int:
    """An alert for each callback still scheduled `grace` after it was due (once each)."""
    overdue = session.scalars(
        select(Callback)
        .where(
            Callback.status == CallbackStatus.scheduled,
            Callback.due_at < now - grace,
            Callback.overdue_alerted_at.is_(None),
        )
        .order_by(Callback.id)
        .limit(100)
    ).all()
    for callback in overdue:
        subject = callback_number(callback.id)
        due = callback.due_at.astimezone(local)
        notify_staff(
            session,
            kind=NotificationKind.callback_overdue,
            subject=subject,
            text=f"回访逾期 {subject}：{callback.purpose}（应于 {due:%m-%d %H:%M} 回访）",
            link="/console/callbacks",
        )
        callback.overdue_alerted_at = now
    return len(overdue)


def claim(
    session: Session,
    *,
    audiences: list[Audience],
    limit: int,
    lease_s: int,
    overdue_grace: timedelta,
    local: ZoneInfo,
) -> list[Notification]:
    """Notices to send now, each leased to the caller for `lease_s` (another claimer skips
    them until the lease runs out, so a crashed sender's rows are sent again later)."""
    now = utcnow()
    if Audience.staff in audiences:
        note_overdue_callbacks(session, now=now, grace=overdue_grace, local=local)
        session.flush()
    query = (
        select(Notification)
        .where(
            Notification.delivered_at.is_(None),
            Notification.audience.in_(audiences),
            (Notification.not_before.is_(None)) | (Notification.not_before < now),
        )
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = list(session.scalars(query))
    for notification in claimed:
        notification.not_before = now + timedelta(seconds=lease_s)
        notification.attempts += 1
    session.commit()
    return claimed


def mark_delivered(session: Session, *, notification_id: int) -> Notification:
    notification = get_or_not_found(
        session, Notification, notification_id, f"Notification {notification_id}"
    )
    if notification.delivered_at is None:
        notification.delivered_at = utcnow()
        session.commit()
    return notification


def mark_failed(
    session: Session, *, notification_id: int, error: str, retry_in_s: int
) -> Notification:
    notification = get_or_not_found(
        session, Notification, notification_id, f"Notification {notification_id}"
    )
    if notification.delivered_at is None:
        notification.not_before = utcnow() + timedelta(seconds=retry_in_s)
        notification.last_error = redact_personal_numbers(error)[:500]
        session.commit()
    return notification


def list_notifications(session: Session, *, undelivered: bool, limit: int) -> list[Notification]:
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if undelivered:
        query = query.where(Notification.delivered_at.is_(None))
    return list(session.scalars(query))
