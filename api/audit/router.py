from typing import Annotated

from fastapi import APIRouter, Query

from api.audit import service
from api.audit.models import AuditEntry
from api.audit.schemas import AuditEntryOut
from api.deps import AdminPrincipal, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntryOut])
def list_audit_entries(
    session: SessionDep,
    _admin: AdminPrincipal,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEntry]:
    """Who read or changed which sensitive field of whom, newest first (admins only)."""
    return service.list_entries(session, subject, limit)
