from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.calls.models import CallOutcome
from common.personal_numbers import redact_personal_numbers

CallId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# What was said on a call: callers say their phone and ID numbers aloud, the bot reads them
# back digit by digit. Masked before it is stored, and again when read (rows stored before).
Spoken = Annotated[str, StringConstraints(max_length=4000), AfterValidator(redact_personal_numbers)]


class CallStart(BaseModel):
    call_id: CallId
    transport: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    caller_number: Annotated[str, StringConstraints(max_length=32)] | None = None


class TurnCreate(BaseModel):
    turn: Annotated[int, Field(ge=0, le=10_000)]
    transcript: Spoken = ""
    intent: Annotated[str, StringConstraints(max_length=64)] | None = None
    bot_text: Spoken = ""
    latency_ms: Annotated[int, Field(ge=0, le=3_600_000)] | None = None


class CallEnd(BaseModel):
    outcome: CallOutcome


class TurnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    turn: int
    transcript: Annotated[str, AfterValidator(redact_personal_numbers)]
    intent: str | None
    bot_text: Annotated[str, AfterValidator(redact_personal_numbers)]
    latency_ms: int | None
    created_at: datetime


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    call_id: str
    transport: str
    caller_number: str | None
    # The number is what the telephony peer claims (a WebSocket gateway's `from`, a SIP From
    # header): no transport proves it, so it never identifies a resident.
    caller_number_verified: bool = False
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    turns: list[TurnOut]
