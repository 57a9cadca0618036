from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class DeadLetterCreate(BaseModel):
    path: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    status_code: Annotated[int, Field(ge=400, le=499)]
    detail: Text = ""
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    idempotency_key: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)
    ]


class DeadLetterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    path: str
    status_code: int
    detail: str
    summary: str
    idempotency_key: str
    reported_by: str
    created_at: datetime
