from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.residents.models import Resident


class CaseStatus(StrEnum):
    submitted = "submitted"


class Case(Base):
    """An aid application (救助申请) that a social worker acts on."""

    __tablename__ = "cases"
    NUMBER_PREFIX = "A"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    policy_code: Mapped[str] = mapped_column(String(32))
    applicant_name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default=CaseStatus.submitted)
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
