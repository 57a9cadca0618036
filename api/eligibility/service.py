"""Eligibility screening: rules as data, evaluated in three-valued logic so that an unknown
fact neither matches nor rules out a policy but is reported as worth asking about."""

from functools import lru_cache
from pathlib import Path

import yaml

from api.eligibility.schemas import (
    Condition,
    EligibilityMatch,
    EligibilityResult,
    ResidentFacts,
    Rule,
)
from api.policies.schemas import PolicyEntry
from api.policies.service import load_knowledge_base, pick_entry

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.yml"


@lru_cache
def load_rules() -> list[Rule]:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    rules = [Rule(**item) for item in raw["rules"]]
    policies, _ = load_knowledge_base()
    for rule in rules:
        if rule.policy not in policies:
            raise ValueError(f"eligibility rule {rule.id}: unknown policy {rule.policy}")
    return rules


def _holds(condition: Condition, facts: ResidentFacts) -> bool | None:
    """True, False, or None when the fact is unknown and the condition has no default."""
    value = getattr(facts, condition.fact)
    if value is None:
        return condition.if_unknown
    expected = condition.value
    if condition.op == ">=":
        return bool(value >= expected)
    if condition.op == "<":
        return bool(value < expected)
    if condition.op == "==":
        return bool(value == expected)
    if condition.op == "!=":
        return bool(value != expected)
    return value in expected


def _all(results: list[bool | None]) -> bool | None:
    if False in results:
        return False
    return None if None in results else True


def _any(results: list[bool | None]) -> bool | None:
    if not results or True in results:
        return True
    return None if None in results else False


def evaluate(rule: Rule, facts: ResidentFacts) -> tuple[bool | None, set[str]]:
    """Whether the rule matches (None: undecided) and the unknown facts it depends on."""
    unknown: set[str] = {c.fact for c in [*rule.all, *rule.any] if getattr(facts, c.fact) is None}
    verdict = _all(
        [*(_holds(c, facts) for c in rule.all), _any([_holds(c, facts) for c in rule.any])]
    )
    return verdict, unknown


def _monthly_band(entry: PolicyEntry, age: int | None) -> str | None:
    if age is None:
        return None
    for band in entry.bands:
        if band.min_age <= age and (band.max_age is None or age <= band.max_age):
            return f"{band.monthly_yuan:g}"
    return None


def _texts(rule: Rule, facts: ResidentFacts, entry: PolicyEntry | None) -> tuple[str, str]:
    band = _monthly_band(entry, facts.age) if entry else None
    template = rule.reason if band or rule.reason_without_band is None else rule.reason_without_band
    values = {
        "age": facts.age,
        "region": entry.region if entry else "",
        "year": entry.year if entry else "",
        "amount": " ".join(entry.amount.split()).rstrip("。") if entry else "",
        "band_yuan": band or "",
    }
    return template.format(**values), rule.next_step.format(**values)


def screen(facts: ResidentFacts, default_region: str) -> EligibilityResult:
    region = facts.region or default_region
    policies, _ = load_knowledge_base()
    matches: dict[str, EligibilityMatch] = {}
    undecided: dict[str, set[str]] = {}
    for rule in load_rules():
        if rule.regions is not None and region not in rule.regions:
            continue
        if rule.policy in matches:
            continue
        verdict, unknown = evaluate(rule, facts)
        if verdict is None:
            undecided.setdefault(rule.policy, set()).update(unknown)
            continue
        if not verdict:
            continue
        policy = policies[rule.policy]
        entry = pick_entry(policy, region, default_region) if policy.entries else None
        reason, next_step = _texts(rule, facts, entry)
        matches[rule.policy] = EligibilityMatch(
            policy=policy.code,
            name=policy.name,
            reason=reason,
            next_step=next_step,
            apply_via_assistant=rule.apply_via_assistant,
            rule=rule.id,
        )
    missing = set().union(
        *(unknown for policy, unknown in undecided.items() if policy not in matches)
    )
    return EligibilityResult(matches=list(matches.values()), missing=sorted(missing), region=region)
