from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.residents.models import Resident


class BookingStatus(StrEnum):
    requested = "requested"
    cancelled = "cancelled"


class Booking(Base):
    """A home-service booking (服务预约) waiting to be dispatched to a worker."""

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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resident: Mapped[Resident] = relationship()

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.id:06d}"

    @property
    def phone(self) -> str | None:
        return self.resident.phone
