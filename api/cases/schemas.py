from datetime import datetime

from pydantic import BaseModel, ConfigDict

from api.validation import Channel, LongText, Name, PhoneNumber, SenderId, ShortText


class CaseCreate(BaseModel):
    policy: str
    applicant_name: Name
    phone: PhoneNumber
    address: ShortText | None = None
    description: LongText = ""
    channel: Channel
    sender_id: SenderId | None = None


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
