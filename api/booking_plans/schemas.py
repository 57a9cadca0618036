from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.bookings.schemas import BookingCreate, BookingOut

# A plan is booked at most this far ahead; longer ones are booked again (the resident is
# reminded by the worker's visits).
MAX_OCCURRENCES = 62


class BookingPlanCreate(BookingCreate):
    """A one-off booking's fields (`scheduled_at` is the first occurrence) and the plan's."""

    weekdays: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(min_length=1, max_length=7)]
    last_day: date

    @field_validator("weekdays")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


class BookingPlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    service_code: str
    weekdays: list[int] = Field(validation_alias="weekday_list")
    first_at: AwareDatetime | datetime
    last_day: date
    time_text: str | None
    address: str
    status: str
    cancel_reason: str | None
    channel: str
    sender_id: str | None
    occurrence_count: int
    occurrences: list[BookingOut]


class BookingPlanCancel(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    sender_id: Annotated[str, Field(max_length=128)] | None = None
