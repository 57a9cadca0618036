from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from api.validation import Channel, LongText, Name, PhoneNumber, SenderId, ShortText


class BookingCreate(BaseModel):
    service: str
    scheduled_at: AwareDatetime
    time_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = (
        None
    )
    address: ShortText
    phone: PhoneNumber
    name: Name | None = None
    note: LongText = ""
    channel: Channel
    sender_id: SenderId | None = None


class BookingCancel(BaseModel):
    reason: ShortText


class BookingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    service_code: str
    scheduled_at: datetime
    time_text: str | None
    address: str
    phone: str | None
    note: str
    status: str
    cancel_reason: str | None
    channel: str
    created_at: datetime
