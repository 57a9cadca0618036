from datetime import datetime

from pydantic import BaseModel, ConfigDict

from api.cases.models import CaseStatus
from api.validation import Channel, IdNumber, LongText, Name, PhoneNumber, SenderId, ShortText


class CaseCreate(BaseModel):
    policy: str
    applicant_name: Name
    phone: PhoneNumber
    address: ShortText | None = None
    description: LongText = ""
    channel: Channel
    sender_id: SenderId | None = None
    # Accepted only after the conversation granted consent for purpose "id_number".
    id_number: IdNumber | None = None


class CaseTransition(BaseModel):
    status: CaseStatus
    comment: LongText = ""
    # Required when rejecting: the resident is told why.
    reason: ShortText | None = None


class CaseEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    actor: str
    role: str
    comment: str
    at: datetime


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    policy_code: str
    applicant_name: str
    phone: str | None
    description: str
    status: str
    channel: str
    created_at: datetime
    resident_id: int
    rejection_reason: str | None
    updated_at: datetime
    # Masked (3201**********1234); in clear only for an admin with reveal_id_number=true.
    id_number: str | None


class CaseDetail(CaseOut):
    events: list[CaseEventOut]


class AgeBucket(BaseModel):
    """Open cases filed between min_days and max_days ago (None: or longer)."""

    min_days: int
    max_days: int | None
    count: int
