from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.cases import service
from api.cases.models import Case
from api.cases.schemas import CaseCreate, CaseOut
from api.deps import IntakePrincipal, SessionDep, require_own_records

router = APIRouter(prefix="/cases", tags=["cases"])


@router.post("", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
def create_case(
    data: CaseCreate,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Case:
    """File an aid application. A retry with the same Idempotency-Key returns the first case."""
    return service.create_case(session, data, idempotency_key)


@router.get("", response_model=list[CaseOut])
def list_cases(
    session: SessionDep,
    caller: IntakePrincipal,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
    case_status: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Case]:
    require_own_records(caller, sender_id)
    return service.list_cases(session, sender_id=sender_id, status=case_status, limit=limit)


@router.get("/{number}", response_model=CaseOut)
def read_case(number: str, session: SessionDep, _caller: IntakePrincipal) -> Case:
    return service.get_case(session, number)
