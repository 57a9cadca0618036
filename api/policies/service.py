"""The policy knowledge base, loaded from its data file and answered by policy and aspect."""

from functools import lru_cache
from pathlib import Path

import yaml

from api.errors import InvalidInputError, NotFoundError
from api.policies.schemas import Aspect, Policy, PolicyAnswer, PolicyEntry

KNOWLEDGE_BASE_FILE = Path(__file__).resolve().parent / "data" / "policies.yml"


@lru_cache
def load_knowledge_base() -> tuple[dict[str, Policy], dict[Aspect, str]]:
    raw = yaml.safe_load(KNOWLEDGE_BASE_FILE.read_text(encoding="utf-8"))
    policies = {item["code"]: Policy(**item) for item in raw["policies"]}
    aspect_names = {Aspect(key): name for key, name in raw["aspects"].items()}
    return policies, aspect_names


def require_policy(code: str) -> Policy:
    policies, _ = load_knowledge_base()
    if code not in policies:
        raise InvalidInputError(
            f"Unknown policy '{code}'. Known policies: {', '.join(sorted(policies))}"
        )
    return policies[code]


def pick_entry(policy: Policy, region: str | None, default_region: str) -> PolicyEntry:
    """The requested region's entry, else the default region's, else the national one."""
    if not policy.entries:
        raise NotFoundError(f"The knowledge base has no details for policy '{policy.code}' yet")
    by_region = {entry.region: entry for entry in policy.entries}
    for candidate in (region, default_region, "全国"):
        if candidate and candidate in by_region:
            return by_region[candidate]
    return policy.entries[0]


def answer(
    code: str, aspect: Aspect | None, region: str | None, default_region: str
) -> PolicyAnswer:
    policy = require_policy(code)
    entry = pick_entry(policy, region, default_region)
    _, aspect_names = load_knowledge_base()
    # No aspect asked: the two facts residents ask about first.
    text = f"{entry.conditions}\n{entry.amount}" if aspect is None else getattr(entry, aspect.value)
    return PolicyAnswer(
        policy=policy.code,
        name=policy.name,
        aspect=aspect,
        aspect_name=aspect_names[aspect] if aspect else None,
        text=" ".join(text.split()),
        region=entry.region,
        year=entry.year,
        source=entry.source,
        sample=entry.sample,
    )
