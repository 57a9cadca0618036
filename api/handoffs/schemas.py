from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from api.validation import Channel, DangerKind, LongText, PhoneNumber, SenderId


class HandoffReason(StrEnum):
    """Why a person must pick the conversation up; emergencies go to the top of the queue."""

    emergency = "emergency"  # danger now: the resident was told to call 120/110 as well
    requested = "requested"  # the resident asked for a person
    callback = "callback"  # a caller asked for a person and no line was free: call them back
    hardship = "hardship"  # the resident described a hardship; a social worker follows up
    fallback = "fallback"  # the assistant could not help
    no_answer = "no_answer"  # an outbound call was not answered after its last try
    distress = "distress"  # an outbound call found the resident unwell


class HandoffCreate(BaseModel):
    channel: Channel
    sender_id: SenderId | None = None
    phone: PhoneNumber | None = None
    reason: HandoffReason = HandoffReason.requested
    # For an emergency, the kind of danger the resident's words showed (common.labels.DANGER);
    # a kind this backend has no word for yet is kept as sent: an alert is never refused.
    danger: DangerKind | None = None
    last_message: LongText = ""


class HandoffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    channel: str
    sender_id: str | None
    phone: str | None
    reason: str
    danger: str | None
    last_message: str
    status: str
    created_at: datetime
