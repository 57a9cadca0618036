from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class DeadLetter(Base):
    """A resident's write the backend refused after the resident was told it was kept.

    Only a masked summary is kept (the conversation, the kind of request, the field names):
    the payload itself stays encrypted in the action server's outbox.
    """

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(200))
    status_code: Mapped[int]
    detail: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    # The outbox row's idempotency key: a report sent twice is stored once.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    reported_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
