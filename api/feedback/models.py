from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class Feedback(Base):
    """A rating, praise or complaint from a resident about a service."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str | None] = mapped_column(String(128))
    rating: Mapped[int | None]
    is_complaint: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    booking_number: Mapped[str | None] = mapped_column(String(16))
    # Set when the feedback is about a known booking: it counts towards that provider's light.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
