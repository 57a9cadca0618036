from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.residents.models import Resident


class BookingStatus(StrEnum):
    requested = "requested"  # booked by the resident, waiting for dispatch (派单)
    dispatched = "dispatched"  # sent to a provider's worker
    accepted = "accepted"  # the worker took the order (接单)
    checked_in = "checked_in"  # the worker arrived (time, optional photo)
    checked_out = "checked_out"  # the worker finished (time, optional photo)
    rated = "rated"  # the resident rated the service (评单)
    cancelled = "cancelled"  # with a reason, before the worker arrived


class Booking(Base):
    """A home-service booking (服务预约) and its dispatch lifecycle."""

    __tablename__ = "bookings"
    NUMBER_PREFIX = "B"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    service_code: Mapped[str] = mapped_column(String(32))
    scheduled_at: Mapped[datetime]
    # What the resident actually said ("明天中午"), kept for the worker who calls back.
    time_text: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default=BookingStatus.requested)
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Dispatch: the provider and the worker (a provider_worker staff account) doing the job.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    worker_username: Mapped[str | None] = mapped_column(String(64))
    dispatched_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    check_in_photo_url: Mapped[str | None] = mapped_column(String(500))
    checked_out_at: Mapped[datetime | None]
    check_out_photo_url: Mapped[str | None] = mapped_column(String(500))
    service_report: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # One occurrence of a recurring plan (每天中午送餐), or None for a one-off booking.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("booking_plans.id"), index=True)
    # Paid from a service-assistance budget: which one and how much (in fen).
    budget_id: Mapped[int | None] = mapped_column(ForeignKey("service_budgets.id"))
    price_fen: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resident: Mapped[Resident] = relationship()

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.id:06d}"

    @property
    def phone(self) -> str | None:
        return self.resident.phone

    @property
    def price_yuan(self) -> float | None:
        return None if self.price_fen is None else self.price_fen / 100
