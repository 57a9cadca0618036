from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.calls.models import CallOutcome

CallId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class CallStart(BaseModel):
    call_id: CallId
    transport: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    caller_number: Annotated[str, StringConstraints(max_length=32)] | None = None


class TurnCreate(BaseModel):
    turn: Annotated[int, Field(ge=0, le=10_000)]
    transcript: Annotated[str, StringConstraints(max_length=4000)] = ""
    intent: Annotated[str, StringConstraints(max_length=64)] | None = None
    bot_text: Annotated[str, StringConstraints(max_length=4000)] = ""
    latency_ms: Annotated[int, Field(ge=0, le=3_600_000)] | None = None


class CallEnd(BaseModel):
    outcome: CallOutcome


class TurnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    turn: int
    transcript: str
    intent: str | None
    bot_text: str
    latency_ms: int | None
    created_at: datetime


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    call_id: str
    transport: str
    caller_number: str | None
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    turns: list[TurnOut]
