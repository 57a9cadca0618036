"""Outreach (政策找人): residents whom the eligibility rules find likely eligible, on the facts on
file, for a policy they neither receive nor have applied for, with a phone to call and no
outreach plan about that policy yet. Workers see them on the console and, once the resident
agreed to be called, schedule the call; nobody is called without that consent.

Reading the facts the rules need (disability, assistance received) is audited per resident.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.service import record_reads
from api.auth.service import Principal
from api.call_plans.models import CallPlan, CallPurpose
from api.cases.models import Case
from api.eligibility.schemas import ResidentFacts
from api.eligibility.service import screen
from api.residents.models import AssistanceStatus, DisabilityLevel, Resident

# Residents looked at per listing (the newest first): a street's roster, not a city's.
SCREENED_RESIDENTS = 2000
# What a resident already receives, as the rosters record it, by policy.
RECEIVED = {
    AssistanceStatus.dibao: {"dibao"},
    AssistanceStatus.tekun: {"tekun", "dibao"},
}
FACTS_READ = ("birth_date", "living_alone", "disability_level", "assistance_status")


@dataclass(frozen=True)
class OutreachCandidate:
    resident: Resident
    policy: str
    policy_name: str
    reason: str


def facts_of(resident: Resident, today: date) -> ResidentFacts:
    disability = resident.disability_level
    status = resident.assistance_status
    return ResidentFacts(
        age=resident.age_on(today),
        living_alone=resident.living_alone,
        disability_level=disability if disability in set(DisabilityLevel) else None,
        has_dibao=None if status is None else status == AssistanceStatus.dibao,
    )


def outreach_candidates(
    session: Session, *, principal: Principal, today: date, default_region: str, limit: int
) -> list[OutreachCandidate]:
    applied = set(session.execute(select(Case.resident_id, Case.policy_code)).tuples())
    planned = set(
        session.execute(
            select(CallPlan.resident_id, CallPlan.policy_code).where(
                CallPlan.purpose == CallPurpose.outreach
            )
        ).tuples()
    )
    residents = session.scalars(
        select(Resident)
        .where(Resident.phone_digest.is_not(None))
        .order_by(Resident.id.desc())
        .limit(SCREENED_RESIDENTS)
    )
    found: list[OutreachCandidate] = []
    for resident in residents:
        status = resident.assistance_status
        received = RECEIVED.get(AssistanceStatus(status), set()) if status else set()
        for match in screen(facts_of(resident, today), default_region).matches:
            key = (resident.id, match.policy)
            if match.policy in received or key in applied or key in planned:
                continue
            found.append(OutreachCandidate(resident, match.policy, match.name, match.reason))
        if len(found) >= limit:
            break
    found = found[:limit]
    record_reads(
        session,
        principal=principal,
        subjects=[f"resident:{candidate.resident.id}" for candidate in found],
        fields=FACTS_READ,
        detail="政策找人：按资格规则筛查",
    )
    return found
