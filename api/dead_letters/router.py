from typing import Annotated

from fastapi import APIRouter, Query, status

from api.dead_letters import service
from api.dead_letters.models import DeadLetter
from api.dead_letters.schemas import DeadLetterCreate, DeadLetterOut
from api.deps import IntakePrincipal, SessionDep, StaffPrincipal

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])


@router.post("", response_model=DeadLetterOut, status_code=status.HTTP_201_CREATED)
def report_dead_letter(
    data: DeadLetterCreate, session: SessionDep, caller: IntakePrincipal
) -> DeadLetter:
    """A channel reports a queued write the backend refused (4xx), so a worker follows it up.
    The same idempotency key reported again returns the first report."""
    return service.record_dead_letter(session, data=data, principal=caller)


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    session: SessionDep,
    _staff: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeadLetter]:
    """Refused writes, newest first (staff only)."""
    return service.list_dead_letters(session, limit=limit)
