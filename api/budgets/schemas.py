from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field


class BudgetCreate(BaseModel):
    resident_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    year: Annotated[int, Field(ge=2000, le=2100)]
    annual_yuan: Annotated[float, Field(gt=0, le=100_000)] = 1000


class BudgetOut(BaseModel):
    id: int
    resident_id: int
    year: int
    policy_code: str
    annual_yuan: float
    stage: int
    stage_shares_percent: list[int]
    released_yuan: float  # what the stages released so far allow in total
    spent_yuan: float  # drawn by bookings that are not cancelled
    available_yuan: float  # released minus spent
    created_at: datetime
