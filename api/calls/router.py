from typing import Annotated

from fastapi import APIRouter, Query, status

from api.calls import service
from api.calls.models import Call
from api.calls.schemas import CallEnd, CallOut, CallStart, TurnCreate
from api.deps import IntakePrincipal, SessionDep, StaffPrincipal

router = APIRouter(prefix="/calls", tags=["calls"])


@router.post("", response_model=CallOut, status_code=status.HTTP_201_CREATED)
def start_call(data: CallStart, session: SessionDep, _caller: IntakePrincipal) -> Call:
    """The voice bridge opens a call record when a call is answered (idempotent by call_id)."""
    return service.start_call(session, data)


@router.post("/{call_id}/turns", response_model=CallOut)
def add_turn(call_id: str, data: TurnCreate, session: SessionDep, _caller: IntakePrincipal) -> Call:
    return service.add_turn(session, call_id, data)


@router.post("/{call_id}/end", response_model=CallOut)
def end_call(call_id: str, data: CallEnd, session: SessionDep, _caller: IntakePrincipal) -> Call:
    return service.end_call(session, call_id, data)


@router.get("", response_model=list[CallOut])
def list_calls(
    session: SessionDep,
    _staff: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Call]:
    return service.list_calls(session, limit)


@router.get("/{call_id}", response_model=CallOut)
def read_call(call_id: str, session: SessionDep, _staff: StaffPrincipal) -> Call:
    return service.get_call(session, call_id)
