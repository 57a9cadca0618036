"""Outbound calls (外呼回访): today's calls of every plan with what they found, the escalated
ones first, and the plans, each with a way to pause it (and resume it); a form to schedule a
plan with the consent the resident gave (the callbacks page offers it for a service callback)."""

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.call_plans import service as call_plans
from api.call_plans.outreach import outreach_candidates
from api.call_plans.schemas import PlanCreate
from api.console import labels
from api.console.web import Worker, back, refused, render
from api.db import utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import DomainError
from api.policies.service import load_knowledge_base

router = APIRouter()
PLANS_SHOWN = 200
CANDIDATES_SHOWN = 30


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
        policies=sorted((code, policy.name) for code, policy in load_knowledge_base()[0].items()),
        candidates=outreach_candidates(
            session,
            principal=worker,
            today=today,
            default_region=settings.default_region,
            limit=CANDIDATES_SHOWN,
        ),  # fmt: skip
        soon=call_plans.soon_within_calling_hours(utcnow().astimezone(zone)),
    )


@router.post("/outbound/plans", response_model=None)
def schedule_plan(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    worker: Worker,
    # Checked by PlanCreate below, so a form missing one gets the console's Chinese message.
    resident_id: Annotated[str, Form(max_length=12)] = "",
    purpose: Annotated[str, Form(max_length=16)] = "",
    consent_text: Annotated[str, Form(max_length=500)] = "",
    salutation: Annotated[str, Form(max_length=16)] = "",
    cadence: Annotated[str, Form(max_length=8)] = "daily",
    weekday: Annotated[str, Form(max_length=1)] = "",
    local_time: Annotated[str, Form(max_length=5)] = "10:00",
    calls_from: Annotated[str, Form(max_length=5)] = "08:00",
    calls_until: Annotated[str, Form(max_length=5)] = "20:00",
    max_tries: Annotated[str, Form(max_length=2)] = "3",
    retry_minutes: Annotated[str, Form(max_length=4)] = "20",
    policy_code: Annotated[str, Form(max_length=32)] = "",
    callback_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """A plan from the form; the consent text is required, as in the API."""
    try:
        data = PlanCreate.model_validate(
            {
                "resident_id": resident_id, "purpose": purpose, "cadence": cadence,
                "weekday": weekday or None, "local_time": local_time,
                "calls_from": calls_from, "calls_until": calls_until,
                "max_tries": max_tries, "retry_minutes": retry_minutes,
                "policy_code": policy_code or None, "callback_id": callback_id or None,
                "salutation": salutation, "consent_text": consent_text,
            }
        )  # fmt: skip
        zone = ZoneInfo(settings.console_timezone)
        call_plans.create_plan(session, data=data, principal=worker, tz=zone)
    except (DomainError, ValidationError) as error:
        session.rollback()
        return refused(request, worker, 409, error)
    return back("/console/outbound", "外呼计划已安排。")


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
