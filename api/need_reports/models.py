from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class NeedReportStatus(StrEnum):
    open = "open"  # waiting for a social worker
    following_up = "following_up"  # someone is on it (call, home visit)
    resolved = "resolved"
    closed = "closed"  # no action needed (duplicate, not a need)


class NeedReport(Base):
    """A need a sentinel (需求哨点) noticed: from a chat, a call or a livestream question."""

    __tablename__ = "need_reports"
    NUMBER_PREFIX = "N"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    needs_home_visit: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=False)
    source_detail: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=NeedReportStatus.open)
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    follow_up_note: Mapped[str] = mapped_column(Text, default="")
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.id:06d}"
