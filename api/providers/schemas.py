from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.validation import PhoneNumber


class TrafficLight(StrEnum):
    green = "green"  # keep
    yellow = "yellow"  # warning: must fix
    red = "red"  # removed from dispatch


class ProviderCreate(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    phone: PhoneNumber | None = None
    service_codes: Annotated[list[str], Field(max_length=50)] = []


class ProviderStanding(BaseModel):
    light: TrafficLight
    reasons: list[str]
    window_days: int
    ratings: int
    average_rating: float | None
    complaints: int


class ProviderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    phone: str | None
    service_codes: list[str]
    is_active: bool
    created_at: datetime
    standing: ProviderStanding
