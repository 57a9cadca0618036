from datetime import datetime
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)

from api.validation import Channel, LongText, Name, PhoneNumber, SenderId, ShortText

PhotoUrl = Annotated[AnyHttpUrl, Field(max_length=500)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


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
    # Pay from the resident's service-assistance budget for the year of scheduled_at: true
    # refuses a booking it cannot pay (409), false never draws, unset draws when it can.
    use_budget: bool | None = None
    # The agreed price; defaults to the catalogue price. Needed when paying from a budget.
    price_yuan: Annotated[float, Field(ge=0, le=100_000)] | None = None


class BookingCancel(BaseModel):
    reason: ShortText
    # Channels must send the conversation the booking belongs to (staff need not).
    sender_id: SenderId | None = None


class BookingDispatch(BaseModel):
    provider_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    worker: Username


class BookingCheckIn(BaseModel):
    photo_url: PhotoUrl | None = None


class BookingCheckOut(BaseModel):
    photo_url: PhotoUrl | None = None
    report: LongText = ""


class BookingRating(BaseModel):
    rating: Annotated[int, Field(ge=1, le=5)]
    text: LongText = ""
    is_complaint: bool = False
    channel: Channel = Channel.staff
    sender_id: SenderId | None = None


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
    resident_id: int
    provider_id: int | None
    worker_username: str | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    checked_in_at: datetime | None
    check_in_photo_url: str | None
    checked_out_at: datetime | None
    check_out_photo_url: str | None
    service_report: str
    rating: int | None
    rated_at: datetime | None
    budget_id: int | None
    price_yuan: float | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cancellable(self) -> bool:
        """Whether the booking may still be cancelled: the channels offer it only then."""
        # Imported here: the service module imports this one.
        from api.bookings.service import CANCELLABLE

        return self.status in CANCELLABLE


class ServiceShare(BaseModel):
    """One service's part of the bookings: the service mix chart (e.g. the share of 助洁)."""

    code: str
    name: str
    count: int
    share: float  # of all bookings counted, 0..1
