"""Writing and reading the audit log of sensitive fields."""

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.models import AuditEntry
from api.auth.service import Principal


class AuditAction(StrEnum):
    read = "read"  # a response carried the field (masked or summarised)
    reveal = "reveal"  # the field was shown in clear, on explicit request
    write = "write"  # the field was set or changed


def record(
    session: Session,
    principal: Principal,
    action: AuditAction,
    subject: str,
    fields: Iterable[str],
    detail: str = "",
) -> None:
    """Add an entry to the caller's transaction, so the audit and the change commit together."""
    session.add(
        AuditEntry(
            actor=f"{principal.kind}:{principal.name}",
            role=principal.role,
            action=action,
            subject=subject,
            fields=",".join(sorted(set(fields))),
            detail=detail[:200],
        )
    )


def list_entries(
    session: Session, subject: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    return list(session.scalars(query))
