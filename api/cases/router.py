from typing import Annotated

from fastapi import APIRouter, Query, status

from api.audit.service import CASE_FIELDS, record_reads
from api.cases import service
from api.cases.models import Case, CaseStatus
from api.cases.schemas import AgeBucket, CaseCreate, CaseDetail, CaseOut, CaseTransition
from api.deps import (
    IdempotencyKey,
    IntakePrincipal,
    SessionDep,
    StaffPrincipal,
    VaultDep,
    require_own_records,
    require_owner,
)
from api.masking import phone_shown_to
from api.stats import MAX_WEEKS, WeeklyCount

router = APIRouter(prefix="/cases", tags=["cases"])


@router.post("", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
def create_case(
    data: CaseCreate,
    session: SessionDep,
    caller: IntakePrincipal,
    vault: VaultDep,
    idempotency_key: IdempotencyKey,
) -> Case:
    """File an aid application. A retry with the same Idempotency-Key returns the first case.

    An `id_number` is accepted only after consent (POST /consents, purpose id_number) for the
    same channel and sender_id; otherwise 409 and nothing is written.
    """
    return service.create_case(session, data, idempotency_key, caller, vault)


@router.get("", response_model=list[CaseOut])
def list_cases(
    session: SessionDep,
    caller: IntakePrincipal,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
    case_status: Annotated[CaseStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CaseOut]:
    """A conversation's cases (channels) or the caseload (staff); the phone is masked for
    callers that do not call the resident (api/masking.py)."""
    require_own_records(caller, sender_id)
    cases = service.list_cases(session, sender_id=sender_id, status=case_status, limit=limit)
    record_reads(
        session,
        principal=caller,
        subjects=[f"resident:{case.resident_id}" for case in cases],
        fields=CASE_FIELDS,
        detail="GET /cases",
    )
    return [
        CaseOut.model_validate(case).model_copy(
            update={"phone": phone_shown_to(caller, case.phone)}
        )
        for case in cases
    ]


@router.get("/{number}", response_model=CaseDetail)
def read_case(
    number: str,
    session: SessionDep,
    caller: IntakePrincipal,
    vault: VaultDep,
    sender_id: Annotated[str | None, Query(max_length=128)] = None,
    reveal_id_number: bool = False,
) -> CaseDetail:
    """A case with its history. Channels must pass the sender_id the case was filed for."""
    case = service.get_case(session, number)
    require_owner(caller, sender_id, case.sender_id, f"Case {number}")
    detail = service.case_detail(session, case, caller, vault, reveal_id_number)
    record_reads(
        session,
        principal=caller,
        subjects=[f"resident:{case.resident_id}"],
        fields=CASE_FIELDS,
        detail=f"GET /cases/{case.number}",
    )
    return detail.model_copy(update={"phone": phone_shown_to(caller, detail.phone)})


@router.post("/{number}/transitions", response_model=CaseDetail)
def transition_case(
    number: str, data: CaseTransition, session: SessionDep, staff: StaffPrincipal
) -> Case:
    """Move a case along submitted → accepted → under_review → approved / rejected → paid.

    Social workers accept, review and reject before review; admins (the street office)
    approve, reject after review and mark paid. A rejection needs a reason.
    """
    return service.transition(session, number, data, staff)


@router.get("/stats/weekly-volume", response_model=list[WeeklyCount])
def weekly_volume(
    session: SessionDep,
    staff: StaffPrincipal,
    weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS)] = 8,
) -> list[WeeklyCount]:
    """Aid applications per channel per week (weeks start on Monday, UTC), zeros included."""
    return service.weekly_volume(session, weeks)


@router.get("/stats/open-by-age", response_model=list[AgeBucket])
def open_by_age(session: SessionDep, staff: StaffPrincipal) -> list[AgeBucket]:
    """Cases not yet rejected or paid, by days since filing (0-2, 3-7, 8-30, over 30)."""
    return service.open_cases_by_age(session)
