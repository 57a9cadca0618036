from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.validation import LongText


class CallbackCreate(BaseModel):
    resident_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    due_at: AwareDatetime
    purpose: Annotated[str, Field(max_length=200)] = ""


class CallbackRecord(BaseModel):
    reached: bool
    # How the resident rated the service on the phone; counts towards the provider's light.
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    is_complaint: bool = False
    note: LongText = ""


class CallbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resident_id: int
    booking_id: int | None
    due_at: datetime
    purpose: str
    status: str
    rating: int | None
    note: str
    recorded_by: str | None
    recorded_at: datetime | None
    created_at: datetime
