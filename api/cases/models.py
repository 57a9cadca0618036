from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.residents.models import Resident


class CaseStatus(StrEnum):
    submitted = "submitted"  # 已提交: filed by the resident or for them
    accepted = "accepted"  # 已受理: a social worker took it on
    under_review = "under_review"  # 审核中: home visit, means test, public notice
    approved = "approved"  # 审核确认: the street office approved it
    rejected = "rejected"  # 不予受理 / 不予批准, always with a reason
    paid = "paid"  # 已发放: the money or service was granted


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
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resident: Mapped[Resident] = relationship()
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.id:06d}"

    @property
    def phone(self) -> str | None:
        return self.resident.phone

    @property
    def id_number(self) -> str | None:
        """Masked: responses never carry the clear number unless an admin reveals it."""
        return self.resident.id_number_masked


class CaseEvent(Base):
    """One step of a case: who moved it from which status to which, when and why."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")
