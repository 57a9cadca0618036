from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class Audience(StrEnum):
    staff = "staff"  # the social workers on duty, on 企业微信 (WeCom)
    resident = "resident"  # a resident whose WeChat is linked, by template message


class NotificationKind(StrEnum):
    emergency = "emergency"
    handoff = "handoff"
    callback_overdue = "callback_overdue"
    worker_assigned = "worker_assigned"
    booking_confirmed = "booking_confirmed"
    application_decided = "application_decided"
    call_late = "call_late"  # an outbound call not placed in time


class Notification(Base):
    """A message to send, written in the same transaction as the change it tells of: the
    backend's own outbox, so an alert is never lost when WeChat or WeCom is down. The WeChat
    front claims rows (a lease), sends them and confirms; an unconfirmed row is claimed again
    once its lease runs out."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The resident's conversation (`wx:<openid>`); None for staff alerts.
    recipient: Mapped[str | None] = mapped_column(String(128))
    # The record it is about (H000001, B000001, C000001, CB000001).
    subject: Mapped[str] = mapped_column(String(16))
    # What happened, with personal numbers masked.
    text: Mapped[str] = mapped_column(Text)
    # The console page a worker opens (a path under the console's address).
    link: Mapped[str] = mapped_column(String(200), default="")
    # One notice per event: "handoff:H000001", "callback_overdue:CB000003" …
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # Claimed until then (being sent), or after a failure, not to be retried before then.
    not_before: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
