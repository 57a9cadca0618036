from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import IdempotencyKey, IntakePrincipal, SessionDep, StaffPrincipal
from api.need_reports import service
from api.need_reports.models import NeedReport
from api.need_reports.schemas import (
    LivestreamFollowUpBatch,
    NeedReportBatch,
    NeedReportCreate,
    NeedReportOut,
    NeedReportUpdate,
)

router = APIRouter(prefix="/need-reports", tags=["need reports"])


@router.post("", response_model=NeedReportOut, status_code=status.HTTP_201_CREATED)
def create_need_report(
    data: NeedReportCreate,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: IdempotencyKey,
) -> NeedReport:
    """A need noticed in a chat, a call or a livestream, for staff to follow up."""
    return service.create_report(session, data, idempotency_key)


@router.post("/batch", response_model=list[NeedReportOut], status_code=status.HTTP_201_CREATED)
def create_need_reports(
    data: NeedReportBatch,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: IdempotencyKey,
) -> list[NeedReport]:
    """Up to 500 needs at once (a livestream session); all are stored or none. A retry with
    the same Idempotency-Key returns the first attempt's reports."""
    return service.create_batch(session, data, idempotency_key=idempotency_key)


@router.post("/livestream", response_model=list[NeedReportOut], status_code=status.HTTP_201_CREATED)
def file_livestream_follow_ups(
    data: LivestreamFollowUpBatch,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: IdempotencyKey,
) -> list[NeedReport]:
    """Livestream questions the host flagged for a home visit; the backend words the reports.
    Up to 500 at once; all are stored or none, once per Idempotency-Key."""
    return service.file_livestream_follow_ups(session, items=data, idempotency_key=idempotency_key)


@router.get("", response_model=list[NeedReportOut])
def follow_up_queue(
    session: SessionDep,
    _staff: StaffPrincipal,
    include_done: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NeedReport]:
    """The follow-up queue: urgent first, then home visits, then oldest."""
    return service.follow_up_queue(session, include_done, limit)


@router.get("/{number}", response_model=NeedReportOut)
def read_need_report(number: str, session: SessionDep, _staff: StaffPrincipal) -> NeedReport:
    return service.get_report(session, number)


@router.patch("/{number}", response_model=NeedReportOut)
def update_need_report(
    number: str, data: NeedReportUpdate, session: SessionDep, _staff: StaffPrincipal
) -> NeedReport:
    """Assign, link to a resident, add a follow-up note, resolve or close."""
    return service.update_report(session, number, data)
