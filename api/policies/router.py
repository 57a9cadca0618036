from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SettingsDep
from api.policies import service
from api.policies.schemas import Aspect, Policy, PolicyAnswer, PolicySummary

router = APIRouter(prefix="/policies", tags=["policies"])


@router.get("", response_model=list[PolicySummary])
def list_policies() -> list[PolicySummary]:
    """Every policy the assistant knows, with the regions that have details (public data)."""
    policies, _ = service.load_knowledge_base()
    return [
        PolicySummary(code=p.code, name=p.name, regions=[e.region for e in p.entries])
        for p in policies.values()
    ]


@router.get("/{code}", response_model=Policy)
def read_policy(code: str) -> Policy:
    return service.require_policy(code)


@router.get("/{code}/answer", response_model=PolicyAnswer)
def answer_policy(
    code: str,
    settings: SettingsDep,
    aspect: Annotated[Aspect | None, Query()] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
) -> PolicyAnswer:
    """One aspect of a policy (or an overview), for the region asked or the default region."""
    return service.answer(code, aspect, region, settings.default_region)
