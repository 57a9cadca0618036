from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.notifications.models import Audience


class ClaimRequest(BaseModel):
    audiences: Annotated[list[Audience], Field(min_length=1, max_length=2)]
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    # How long the claimer has to send and confirm before the rows are offered again.
    lease_s: Annotated[int, Field(ge=5, le=3600)] = 60


class FailureReport(BaseModel):
    error: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    retry_in_s: Annotated[int, Field(ge=1, le=3600)] = 30


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    audience: Audience
    kind: str
    recipient: str | None
    subject: str
    text: str
    link: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
