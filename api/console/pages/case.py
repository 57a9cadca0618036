"""An aid application: its household's timeline and the steps the worker may take."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.audit.service import CASE_FIELDS, TIMELINE_FIELDS, record_reads
from api.auth.models import Role
from api.auth.service import Principal
from api.cases import service as cases
from api.cases.models import CaseStatus
from api.cases.schemas import CaseTransition
from api.console import labels
from api.console.timeline import chinese_summaries
from api.console.web import Worker, back, chinese_error, local_time, refused, render
from api.deps import SessionDep
from api.errors import DomainError, NotFoundError
from api.households.service import members_timeline
from api.policies.service import load_knowledge_base
from api.residents.models import Resident
from api.settings import ApiSettings

router = APIRouter()


def case_page(
    request: Request,
    session: Session,
    worker: Principal,
    number: str,
    status_code: int = 200,
    error: str = "",
) -> HTMLResponse:
    case = cases.get_case(session, number)
    resident = case.resident
    household = resident.household
    members: list[Resident] = list(household.members) if household else [resident]
    policy = load_knowledge_base()[0].get(case.policy_code)
    settings: ApiSettings = request.app.state.settings
    timeline = members_timeline(session, members)
    # The page shows the case (income and health notes in its description) and the one file
    # of every member: audited like the API's reads of both.
    record_reads(
        session,
        principal=worker,
        subjects=[f"resident:{resident.id}"],
        fields=CASE_FIELDS,
        detail=f"console /cases/{case.number}",
    )
    record_reads(
        session,
        principal=worker,
        subjects=[f"resident:{member.id}" for member in members],
        fields=TIMELINE_FIELDS,
        detail=f"console /cases/{case.number} household timeline",
    )
    summaries = chinese_summaries(timeline, lambda moment: local_time(settings, moment))
    steps = cases.next_statuses(status=case.status, role=worker.role)
    return render(
        request,
        "case.html",
        worker,
        status_code,
        case=case,
        policy_name=policy.name if policy else case.policy_code,
        household=household,
        timeline=list(zip(timeline, summaries, strict=True)),
        steps=steps,
        # Nothing this worker may do, but the street office may: say who the case waits for.
        waiting_for_admin=not steps
        and bool(cases.next_statuses(status=case.status, role=Role.admin)),
        error=error,
    )


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_detail(request: Request, session: SessionDep, worker: Worker, number: str) -> HTMLResponse:
    try:
        return case_page(request, session, worker, number)
    except NotFoundError as error:
        return refused(request, worker, 404, error)


@router.post("/cases/{number}/transition", response_model=None)
def transition_case(
    request: Request,
    session: SessionDep,
    worker: Worker,
    number: str,
    to_status: Annotated[str, Form(max_length=32)],
    comment: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        data = CaseTransition(status=to_status, comment=comment, reason=reason.strip() or None)
        if data.status == CaseStatus.rejected and not data.reason:
            return case_page(
                request, session, worker, number, 422, "不予受理必须填写原因，原因会告知申请人。"
            )
        case = cases.transition(session, number, data, worker)
    except (DomainError, ValidationError) as error:
        session.rollback()
        try:
            return case_page(request, session, worker, number, 409, chinese_error(error))
        except NotFoundError:
            return refused(request, worker, 404, error)
    status_name = labels.label(labels.CASE_STATUS, case.status)
    return back(f"/console/cases/{number}", f"{number} 已改为“{status_name}”。")
