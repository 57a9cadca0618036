from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import IdempotencyKey, IntakePrincipal, SessionDep, StaffPrincipal
from api.handoffs import service
from api.handoffs.models import Handoff
from api.handoffs.schemas import HandoffCreate, HandoffOut

router = APIRouter(prefix="/handoffs", tags=["handoffs"])


@router.post("", response_model=HandoffOut, status_code=status.HTTP_201_CREATED)
def create_handoff(
    data: HandoffCreate,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: IdempotencyKey,
) -> Handoff:
    """A resident wants a person. The open queue is what social workers pick up or call back."""
    return service.create_handoff(session, data, idempotency_key)


@router.get("", response_model=list[HandoffOut])
def list_open_handoffs(
    session: SessionDep,
    _staff: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Handoff]:
    return service.list_open_handoffs(session, limit)
