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


# What a read of each kind of record shows about the resident (field names, never values).
CASE_FIELDS = ("applicant_name", "phone", "address", "description", "id_number")
CALL_FIELDS = ("caller_number", "transcript")
TIMELINE_FIELDS = ("cases", "bookings", "visits", "feedback", "callbacks", "need_reports")


def record_reads(
    session: Session,
    *,
    principal: Principal,
    subjects: Iterable[str],
    fields: Iterable[str],
    detail: str,
) -> None:
    """Log that `principal` read `fields` of each subject ("resident:12", "call:abc"), and
    commit: a read has no transaction of its own to join. One entry per subject, so the log
    answers "who looked at this resident" directly."""
    names = list(fields)
    for subject in dict.fromkeys(subjects):  # once each, in order
        record(session, principal, AuditAction.read, subject[:64], names, detail)
    session.commit()


def list_entries(
    session: Session, subject: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    return list(session.scalars(query))
