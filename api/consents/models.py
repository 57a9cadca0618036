from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class Consent(Base):
    """A resident's answer to a consent question, with the exact text they were shown.

    Rows are never updated: withdrawing consent is a new row with granted=false, and the
    latest row for a conversation and purpose decides.
    """

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_lookup", "channel", "sender_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool]
    text_shown: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
