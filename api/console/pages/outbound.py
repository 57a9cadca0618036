"""Outbound calls (外呼回访): today's calls of every plan with what they found, the escalated
ones first, and the plans, each with a way to pause it (and resume it)."""

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.call_plans import service as call_plans
from api.console import labels
from api.console.web import Worker, back, refused, render
from api.db import utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import DomainError

router = APIRouter()
PLANS_SHOWN = 200


@router.get("/outbound", response_class=HTMLResponse)
def outbound_page(
    request: Request, session: SessionDep, settings: SettingsDep, worker: Worker
) -> HTMLResponse:
    zone = ZoneInfo(settings.console_timezone)
    today = utcnow().astimezone(zone).date()
    return render(
        request,
        "outbound.html",
        worker,
        today=today,
        calls=call_plans.calls_of_day(session, day=today, tz=zone),
        plans=call_plans.list_plans(session, resident_id=None, limit=PLANS_SHOWN),
        purposes=labels.OUTBOUND_PURPOSE,
        statuses=labels.OUTBOUND_STATUS,
        outcomes=labels.OUTBOUND_OUTCOME,
    )


@router.post("/outbound/plans/{plan_id}/{step}", response_model=None)
def change_plan(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    worker: Worker,
    plan_id: int,
    step: str,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        if step == "pause":
            call_plans.pause_plan(session, plan_id=plan_id, reason=reason)
            notice = "已暂停这个外呼计划。"
        elif step == "resume":
            call_plans.resume_plan(session, plan_id=plan_id, tz=ZoneInfo(settings.console_timezone))
            notice = "已恢复这个外呼计划。"
        else:
            return Response(status_code=404)
    except DomainError as error:
        session.rollback()
        return refused(request, worker, 409, error)
    return back("/console/outbound", notice)
