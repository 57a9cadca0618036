from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class IdempotencyBinding(Base):
    """An Idempotency-Key, bound to the request that first used it: who sent it, to which
    route, with which body (a SHA-256 over the three). A replay that differs is refused."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
