from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from api.validation import Channel, SenderId


class ConsentPurpose(StrEnum):
    id_number = "id_number"  # 身份证号
    health = "health"  # illness, disability
    income = "income"  # income, assets, assistance received
    contact = "contact"  # phone and address kept for follow-up


class ConsentCreate(BaseModel):
    channel: Channel
    sender_id: SenderId
    purpose: ConsentPurpose
    granted: bool
    text_shown: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    sender_id: str
    purpose: str
    granted: bool
    recorded_at: datetime
