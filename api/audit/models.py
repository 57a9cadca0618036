from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class AuditEntry(Base):
    """One read or change of a sensitive field (ID number, health, income, disability).

    Entries name the field, never its value: the audit log must not become a second copy of
    the data it protects.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))  # "staff:alice" or "api_key:action-server"
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))  # read, reveal, write
    subject: Mapped[str] = mapped_column(String(64))  # "resident:12", "case:A000003"
    fields: Mapped[str] = mapped_column(String(200))  # comma-separated field names
    detail: Mapped[str] = mapped_column(String(200), default="")
