from typing import Annotated

from fastapi import APIRouter, Query, status

from api.audit.service import CALL_FIELDS, record_reads
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
    staff: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Call]:
    """Recent calls with their transcripts; every call shown is in the audit log."""
    calls = service.list_calls(session, limit)
    record_reads(
        session,
        principal=staff,
        subjects=[f"call:{call.call_id}" for call in calls],
        fields=CALL_FIELDS,
        detail="GET /calls",
    )
    return calls


@router.get("/{call_id}", response_model=CallOut)
def read_call(call_id: str, session: SessionDep, staff: StaffPrincipal) -> Call:
    call = service.get_call(session, call_id)
    record_reads(
        session,
        principal=staff,
        subjects=[f"call:{call.call_id}"],
        fields=CALL_FIELDS,
        detail=f"GET /calls/{call.call_id}"[:200],
    )
    return call
