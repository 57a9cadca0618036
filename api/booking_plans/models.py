from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.bookings.models import Booking
from api.db import Base, utcnow
from api.residents.models import Resident


class PlanStatus(StrEnum):
    active = "active"
    cancelled = "cancelled"  # the rest of the plan was called off


class BookingPlan(Base):
    """A recurring booking: the days of the week, the time of day (the first occurrence's),
    the first and last day. Each occurrence is a booking of its own, dispatched, checked in,
    rated and charged like a one-off booking."""

    __tablename__ = "booking_plans"
    NUMBER_PREFIX = "P"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    service_code: Mapped[str] = mapped_column(String(32))
    weekdays: Mapped[str] = mapped_column(String(16))  # "0,2,4": Monday is 0
    first_at: Mapped[datetime]
    last_day: Mapped[date]
    time_text: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.active)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resident: Mapped[Resident] = relationship()
    occurrences: Mapped[list[Booking]] = relationship(
        primaryjoin="BookingPlan.id == foreign(Booking.plan_id)", order_by=Booking.scheduled_at
    )

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.id:06d}"

    @property
    def weekday_list(self) -> list[int]:
        return [int(day) for day in self.weekdays.split(",") if day]

    @property
    def occurrence_count(self) -> int:
        return len(self.occurrences)
