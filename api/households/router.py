from typing import Annotated

from fastapi import APIRouter, Query, status

from api.audit.service import TIMELINE_FIELDS, record_reads
from api.deps import SessionDep, StaffPrincipal
from api.households import service
from api.residents.models import Household
from api.residents.schemas import HouseholdCreate, HouseholdOut, HouseholdTimeline
from api.validation import RecordId

router = APIRouter(prefix="/households", tags=["households"])


@router.post("", response_model=HouseholdOut, status_code=status.HTTP_201_CREATED)
def create_household(
    data: HouseholdCreate, session: SessionDep, _staff: StaffPrincipal
) -> Household:
    """Open a household file; add members with POST/PATCH /residents (household_id)."""
    return service.create_household(session, data)


@router.get("", response_model=list[HouseholdOut])
def list_households(
    session: SessionDep,
    _staff: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Household]:
    return service.list_households(session, limit)


@router.get("/{household_id}", response_model=HouseholdOut)
def read_household(
    household_id: RecordId, session: SessionDep, _staff: StaffPrincipal
) -> Household:
    return service.get_household(session, household_id)


@router.get("/{household_id}/timeline", response_model=HouseholdTimeline)
def household_timeline(
    household_id: RecordId, session: SessionDep, staff: StaffPrincipal
) -> HouseholdTimeline:
    """一户一档: applications and their steps, bookings, visits, ratings and complaints,
    callbacks, need reports and requests for a person, of every member, oldest first.
    The read is in the audit log under every member."""
    household = service.get_household(session, household_id)
    timeline = HouseholdTimeline(
        household=HouseholdOut.model_validate(household), items=service.timeline(session, household)
    )
    record_reads(
        session,
        principal=staff,
        subjects=[f"resident:{member.id}" for member in household.members],
        fields=TIMELINE_FIELDS,
        detail=f"GET /households/{household_id}/timeline",
    )
    return timeline
