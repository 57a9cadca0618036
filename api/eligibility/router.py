from fastapi import APIRouter

from api.deps import IntakePrincipal, SettingsDep
from api.eligibility import service
from api.eligibility.schemas import EligibilityResult, ResidentFacts

router = APIRouter(prefix="/eligibility", tags=["eligibility"])


@router.post("/screen", response_model=EligibilityResult)
def screen(
    facts: ResidentFacts, settings: SettingsDep, _caller: IntakePrincipal
) -> EligibilityResult:
    """The policies a resident may qualify for, each with why and what to do next, and the
    facts worth asking about next. Nothing is stored: the facts may be sensitive."""
    return service.screen(facts, settings.default_region)
