"""Need reports waiting for follow-up, and updating them."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console import labels
from api.console.web import Worker, back, refused, render
from api.deps import SessionDep
from api.errors import DomainError
from api.need_reports import service as need_reports
from api.need_reports.models import NeedReportStatus
from api.need_reports.schemas import NeedReportUpdate

router = APIRouter()


@router.get("/needs", response_class=HTMLResponse)
def needs_page(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    return render(
        request,
        "needs.html",
        worker,
        reports=need_reports.follow_up_queue(session, include_done=False, limit=300),
        statuses=labels.NEED_STATUS,
    )


@router.post("/needs/{number}", response_model=None)
def update_need(
    request: Request,
    session: SessionDep,
    worker: Worker,
    number: str,
    status: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        data = NeedReportUpdate(
            status=NeedReportStatus(status),
            assigned_to=worker.name,
            note=f"{worker.name}：{note.strip()}" if note.strip() else None,
        )
        report = need_reports.update_report(session, number, data)
    except (DomainError, ValidationError, ValueError) as error:
        session.rollback()
        return refused(request, worker, 409, error)
    status_name = labels.label(labels.NEED_STATUS, report.status)
    return back("/console/needs", f"{report.number} 已更新为“{status_name}”。")
