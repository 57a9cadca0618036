from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status

from api.call_plans import outreach, service
from api.call_plans.models import CallPlan
from api.call_plans.schemas import (
    CallOut,
    CallResult,
    ClaimRequest,
    OutreachCandidateOut,
    PlanCreate,
    PlanOut,
    PlanStatusChange,
)
from api.db import utcnow
from api.deps import IntakePrincipal, SessionDep, SettingsDep, StaffPrincipal
from api.validation import RecordId

plans = APIRouter(prefix="/call-plans", tags=["outbound calls"])
calls = APIRouter(prefix="/outbound-calls", tags=["outbound calls"])


@plans.post("", response_model=PlanOut, status_code=status.HTTP_201_CREATED)
def create_plan(
    data: PlanCreate, session: SessionDep, settings: SettingsDep, staff: StaffPrincipal
) -> CallPlan:
    """Schedule calls to a resident (staff), with the consent they gave: a daily or weekly
    wellbeing call, a service callback, or a policy outreach call."""
    tz = ZoneInfo(settings.console_timezone)
    return service.create_plan(session, data=data, principal=staff, tz=tz)


@plans.get("/outreach-candidates", response_model=list[OutreachCandidateOut])
def outreach_candidates(
    session: SessionDep,
    settings: SettingsDep,
    staff: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[OutreachCandidateOut]:
    """Residents the eligibility rules find likely eligible, on the facts on file, for a policy
    they neither receive nor applied for (政策找人): whom to ask for consent to an outreach call.
    Reading their facts is audited."""
    today = utcnow().astimezone(ZoneInfo(settings.console_timezone)).date()
    found = outreach.outreach_candidates(
        session, principal=staff, today=today, default_region=settings.default_region,
        limit=limit,
    )  # fmt: skip
    return [
        OutreachCandidateOut(
            resident_id=c.resident.id,
            resident_name=c.resident.name,
            policy_code=c.policy,
            policy_name=c.policy_name,
            reason=c.reason,
        )  # fmt: skip
        for c in found
    ]


@plans.get("", response_model=list[PlanOut])
def list_plans(
    session: SessionDep,
    _staff: StaffPrincipal,
    resident_id: Annotated[int, Query(ge=1, le=2**31 - 1)] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CallPlan]:
    return service.list_plans(session, resident_id=resident_id, limit=limit)


@plans.post("/{plan_id}/pause", response_model=PlanOut)
def pause_plan(
    plan_id: RecordId, data: PlanStatusChange, session: SessionDep, _staff: StaffPrincipal
) -> CallPlan:
    """No more calls until resumed; calls waiting are cancelled."""
    return service.pause_plan(session, plan_id=plan_id, reason=data.reason)


@plans.post("/{plan_id}/resume", response_model=PlanOut)
def resume_plan(
    plan_id: RecordId, session: SessionDep, settings: SettingsDep, _staff: StaffPrincipal
) -> CallPlan:
    tz = ZoneInfo(settings.console_timezone)
    return service.resume_plan(session, plan_id=plan_id, tz=tz)


@calls.post("/claim", response_model=list[CallOut])
def claim_calls(
    data: ClaimRequest, session: SessionDep, settings: SettingsDep, _bridge: IntakePrincipal
) -> list[CallOut]:
    """A voice bridge takes calls to place now (leased for `lease_s`): due, of active plans,
    within their calling hours. Calls late by the configured grace are reported first."""
    tz = ZoneInfo(settings.console_timezone)
    service.note_late_calls(session, grace=timedelta(minutes=settings.outbound_late_minutes), tz=tz)
    claimed = service.claim_calls(
        session, claimer=data.claimer, limit=data.limit, lease_s=data.lease_s, tz=tz
    )
    return [service.call_out(call) for call in claimed]


@calls.post("/{call_id}/result", response_model=CallOut)
def record_result(
    call_id: RecordId,
    data: CallResult,
    session: SessionDep,
    settings: SettingsDep,
    _bridge: IntakePrincipal,
) -> CallOut:
    """What the call found. No answer schedules the next try; the last unanswered try or an
    answer in distress opens a handoff (the queue and the 企业微信 alert) once."""
    tz = ZoneInfo(settings.console_timezone)
    return service.call_out(service.record_result(session, call_id=call_id, result=data, tz=tz))


@calls.get("", response_model=list[CallOut])
def calls_of_day(
    session: SessionDep, settings: SettingsDep, _staff: StaffPrincipal, day: date | None = None
) -> list[CallOut]:
    """A local day's calls (today by default), escalated first."""
    tz = ZoneInfo(settings.console_timezone)
    chosen = day or utcnow().astimezone(tz).date()
    return [service.call_out(call) for call in service.calls_of_day(session, day=chosen, tz=tz)]
