from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.phones import PhoneAtRest, PhoneDigest


class HandoffStatus(StrEnum):
    open = "open"


class Handoff(PhoneAtRest, Base):
    """A resident asked for a person: a social worker picks the conversation up or calls back."""

    __tablename__ = "handoffs"
    NUMBER_PREFIX = "H"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str | None] = mapped_column(String(128))
    # `phone` (PhoneAtRest): encrypted; the digest finds a household's handoffs.
    phone_digest: Mapped[str | None] = mapped_column(PhoneDigest(), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    danger: Mapped[str | None] = mapped_column(String(32))
    last_message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default=HandoffStatus.open)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.id:06d}"
