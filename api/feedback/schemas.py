from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.validation import Channel, LongText, SenderId


class FeedbackCreate(BaseModel):
    channel: Channel
    sender_id: SenderId | None = None
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    is_complaint: bool = False
    text: LongText = ""
    booking_number: Annotated[str, Field(max_length=16)] | None = None


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    rating: int | None
    is_complaint: bool
    text: str
    booking_number: str | None
    provider_id: int | None
    created_at: datetime
