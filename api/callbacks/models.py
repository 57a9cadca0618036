from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class CallbackStatus(StrEnum):
    scheduled = "scheduled"
    done = "done"  # the resident was reached and asked
    unreachable = "unreachable"  # nobody answered; a new callback may be scheduled


class Callback(Base):
    """A follow-up call (回访) to ask a resident how a service went or how they are."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    due_at: Mapped[datetime]
    purpose: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.scheduled)
    rating: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the workers on duty were alerted that it is overdue (once: api/notifications).
    overdue_alerted_at: Mapped[datetime | None]
