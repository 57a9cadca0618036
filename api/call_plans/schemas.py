from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.call_plans.models import Cadence, CallOutcome, CallPurpose
from api.calls.schemas import Spoken

LocalTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class PlanCreate(BaseModel):
    resident_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    purpose: CallPurpose
    cadence: Cadence = Cadence.daily
    local_time: LocalTime = "10:00"
    weekday: Annotated[int, Field(ge=0, le=6)] | None = None
    policy_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    callback_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    calls_from: LocalTime = "08:00"
    calls_until: LocalTime = "20:00"
    max_tries: Annotated[int, Field(ge=1, le=10)] = 3
    retry_minutes: Annotated[int, Field(ge=5, le=24 * 60)] = 20
    # How the resident likes to be addressed on the phone ("王阿姨", "李老师").
    salutation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] = ""
    # What the resident agreed to, in the words they were told (required: no plan without it).
    consent_text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=4, max_length=500)
    ]

    @model_validator(mode="after")
    def _complete(self) -> "PlanCreate":
        if self.cadence == Cadence.weekly and self.weekday is None:
            raise ValueError("a weekly plan needs weekday (0 = Monday … 6 = Sunday)")
        if self.purpose == CallPurpose.outreach and not self.policy_code:
            raise ValueError("an outreach plan needs policy_code")
        if self.purpose == CallPurpose.callback and self.callback_id is None:
            raise ValueError("a callback plan needs callback_id")
        if not self.calls_from < self.calls_until:
            raise ValueError("calls_from must be earlier than calls_until")
        if not self.calls_from <= self.local_time < self.calls_until:
            raise ValueError("local_time must be within calls_from … calls_until")
        return self


class OutreachCandidateOut(BaseModel):
    resident_id: int
    resident_name: str | None
    policy_code: str
    policy_name: str
    reason: str


class PlanStatusChange(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resident_id: int
    purpose: str
    cadence: str
    local_time: str
    weekday: int | None
    policy_code: str | None
    callback_id: int | None
    calls_from: str
    calls_until: str
    max_tries: int
    retry_minutes: int
    salutation: str
    status: str
    stop_reason: str
    consent_text: str
    consent_recorded_by: str
    created_at: datetime


class ClaimRequest(BaseModel):
    # The bridge instance claiming (for the console and the logs).
    claimer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    limit: Annotated[int, Field(ge=1, le=50)] = 5
    # How long the bridge has to place the call and report it before it is offered again.
    lease_s: Annotated[int, Field(ge=30, le=3600)] = 300


class CallResult(BaseModel):
    answered: bool
    outcome: CallOutcome | None = None
    # A post-service callback's rating, 1–5, by voice or key.
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    # The resident's words, as said on the call: numbers masked before they are stored.
    note: Spoken = ""

    @model_validator(mode="after")
    def _outcome_when_answered(self) -> "CallResult":
        if self.answered and self.outcome is None:
            raise ValueError("an answered call needs its outcome")
        return self


class CallOut(BaseModel):
    """A call as the bridge places it (the number to dial included) and as staff see it."""

    id: int
    number: str
    plan_id: int
    purpose: str
    resident_id: int
    resident_name: str | None
    salutation: str
    phone: str | None
    policy_code: str | None
    occurrence: str
    try_number: int
    max_tries: int
    due_at: datetime
    status: str
    outcome: str | None
    note: str
    escalated_to: str | None
    ended_at: datetime | None
