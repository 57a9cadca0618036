from enum import StrEnum

from pydantic import BaseModel


class Aspect(StrEnum):
    conditions = "conditions"
    materials = "materials"
    amount = "amount"
    process = "process"
    timeline = "timeline"


class AgeBand(BaseModel):
    min_age: int
    max_age: int | None
    monthly_yuan: float


class PolicyEntry(BaseModel):
    """What one region says about one policy."""

    region: str
    year: int
    source: str
    sample: bool
    conditions: str
    materials: str
    amount: str
    process: str
    timeline: str
    bands: list[AgeBand] = []


class Policy(BaseModel):
    code: str
    name: str
    entries: list[PolicyEntry] = []


class PolicySummary(BaseModel):
    code: str
    name: str
    regions: list[str]


class PolicyAnswer(BaseModel):
    policy: str
    name: str
    aspect: Aspect | None
    aspect_name: str | None
    text: str
    region: str
    year: int
    source: str
    sample: bool
