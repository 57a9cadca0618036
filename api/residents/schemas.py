from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.id_numbers import PersonalNumberKind
from api.residents.models import AssistanceStatus, DisabilityLevel
from api.validation import IdNumber, Name, PhoneNumber, ShortText

TelegramId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# A chat linked to a resident (`tg:…`, `wx:…`): as long as the residents' columns hold.
LinkedChatId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
PastDate = Annotated[date, Field(ge=date(1890, 1, 1), le=date(2100, 1, 1))]


class ResidentFields(BaseModel):
    name: Name | None = None
    phone: PhoneNumber | None = None
    telegram_id: TelegramId | None = None
    address: ShortText | None = None
    household_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    birth_date: PastDate | None = None
    disability_level: DisabilityLevel | None = None
    living_alone: bool | None = None
    assistance_status: AssistanceStatus | None = None
    id_number: IdNumber | None = None
    # Staff collecting an ID number in person confirm the resident agreed (written consent).
    id_number_consent: bool = False


class ResidentCreate(ResidentFields):
    pass


class ResidentUpdate(ResidentFields):
    """Only the fields sent are changed."""


class ResidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None
    phone: str | None
    address: str | None
    created_at: datetime


class ResidentDetail(ResidentOut):
    telegram_id: str | None
    wechat_id: str | None
    household_id: int | None
    birth_date: date | None
    age: int | None
    disability_level: str | None
    living_alone: bool | None
    assistance_status: str | None
    # Masked (3201**********1234) unless an admin asked for it with reveal_id_number=true.
    id_number: str | None


class ChannelLink(BaseModel):
    """A chat front vouches that this conversation belongs to the owner of `phone`.

    Telegram: the resident shared their own number with the contact button, after consent.
    WeChat: the resident agreed to `consent_text` and typed the phone and the ID number on
    their record; both must match one resident, who must already be on file."""

    channel: Literal["telegram", "wechat"]
    sender_id: LinkedChatId
    phone: PhoneNumber
    name: Name | None = None
    id_number: IdNumber | None = None
    consent_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

    @model_validator(mode="after")
    def _proof_for_wechat(self) -> "ChannelLink":
        if self.channel == "wechat" and (self.id_number is None or not self.consent_text):
            raise ValueError("a WeChat link needs the resident's id_number and the consent_text")
        return self


class SealRequest(BaseModel):
    """A phone or ID number a resident just gave in a conversation, to be exchanged for a
    reference the conversation keeps instead (trackers and the outbox never hold it)."""

    kind: PersonalNumberKind
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class SealedNumber(BaseModel):
    # "sealed:<masked>:<token>": accepted wherever the number is, for SEALED_NUMBER_LIFETIME.
    reference: str
    masked: str


class ChannelLinkOut(BaseModel):
    resident_id: int
    channel: str
    sender_id: str


class HouseholdCreate(BaseModel):
    name: Name
    address: ShortText


class HouseholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    address: str
    created_at: datetime
    members: list[ResidentOut]


class TimelineItem(BaseModel):
    at: datetime
    kind: str  # case, case_status, booking, booking_status, visit, rating, complaint, callback,
    # need_report, handoff
    resident_id: int | None
    reference: str | None  # A000001, B000001, N000001, …
    summary: str


class HouseholdTimeline(BaseModel):
    household: HouseholdOut
    items: list[TimelineItem]
