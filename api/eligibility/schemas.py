from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from api.residents.models import DisabilityLevel


class IncomeLevel(StrEnum):
    none = "none"  # no income at all
    low = "low"  # below or near the local 低保 line
    normal = "normal"


class ResidentFacts(BaseModel):
    """What the resident told us; null means not asked or not answered."""

    age: Annotated[int, Field(ge=0, le=130)] | None = None
    living_alone: bool | None = None
    disability_level: DisabilityLevel | None = None
    serious_illness: bool | None = None
    income: IncomeLevel | None = None
    has_dibao: bool | None = None
    household_size: Annotated[int, Field(ge=1, le=50)] | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


Fact = Literal[
    "age",
    "living_alone",
    "disability_level",
    "serious_illness",
    "income",
    "has_dibao",
    "household_size",
]


class Condition(BaseModel):
    fact: Fact
    op: Literal[">=", "<", "==", "!=", "in"]
    value: Any
    if_unknown: bool | None = None


class Rule(BaseModel):
    id: str
    policy: str
    all: list[Condition] = []
    any: list[Condition] = []
    regions: list[str] | None = None
    reason: str
    reason_without_band: str | None = None
    next_step: str
    apply_via_assistant: bool


class EligibilityMatch(BaseModel):
    policy: str
    name: str
    reason: str
    next_step: str
    apply_via_assistant: bool
    rule: str  # the id of the rule that matched, for staff checking a screening


class EligibilityResult(BaseModel):
    matches: list[EligibilityMatch]
    # Facts that would let more rules decide: ask the resident about these next.
    missing: list[str]
    region: str
