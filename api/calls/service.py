from sqlalchemy import select
from sqlalchemy.orm import Session

from api.calls.models import Call, CallTurn
from api.calls.schemas import CallEnd, CallStart, TurnCreate
from api.db import utcnow
from api.errors import ConflictError, NotFoundError


def start_call(session: Session, data: CallStart) -> Call:
    existing = session.scalar(select(Call).where(Call.call_id == data.call_id))
    if existing is not None:
        return existing  # a retried start
    call = Call(**data.model_dump())
    session.add(call)
    session.commit()
    return call


def get_call(session: Session, call_id: str) -> Call:
    call = session.scalar(select(Call).where(Call.call_id == call_id))
    if call is None:
        raise NotFoundError(f"Call {call_id} not found")
    return call


def add_turn(session: Session, call_id: str, data: TurnCreate) -> Call:
    call = get_call(session, call_id)
    if call.ended_at is not None:
        raise ConflictError(f"Call {call_id} has ended")
    if all(turn.turn != data.turn for turn in call.turns):  # a retried turn is stored once
        call.turns.append(CallTurn(**data.model_dump()))
    session.commit()
    return call


def end_call(session: Session, call_id: str, data: CallEnd) -> Call:
    call = get_call(session, call_id)
    if call.ended_at is None:
        call.ended_at = utcnow()
        call.outcome = data.outcome
        session.commit()
    return call


def list_calls(session: Session, limit: int = 100) -> list[Call]:
    return list(session.scalars(select(Call).order_by(Call.id.desc()).limit(limit)))
