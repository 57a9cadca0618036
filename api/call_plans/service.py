"""Plans to call residents, and the calls the voice bridges place for them.

A plan makes one call per occurrence (a local day); a call not answered gets up to `max_tries`
tries `retry_minutes` apart; the last unanswered try, or an answer that finds the resident
unwell, opens a handoff (the workers' queue and its 企业微信 alert) once per occurrence. Calls
are claimed from this table by the bridges (one claimant per call, row locks on PostgreSQL)
and only within the plan's calling hours; nothing is kept in a bridge's memory, so restarting
a bridge or the backend loses no call and places none twice."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.service import Principal
from api.call_plans.models import (
    Cadence,
    CallOutcome,
    CallPlan,
    CallPurpose,
    CallStatus,
    OutboundCall,
    PlanStatus,
)
from api.call_plans.schemas import CallOut, CallResult, PlanCreate
from api.callbacks.models import Callback, CallbackStatus
from api.db import get_or_not_found, utcnow
from api.errors import ConflictError
from api.handoffs.schemas import HandoffCreate, HandoffReason
from api.handoffs.service import open_handoff
from api.notifications.models import NotificationKind
from api.notifications.service import notify_staff
from api.policies.service import require_policy
from api.residents.service import get_resident
from api.validation import Channel

PURPOSE_WORDS: dict[str, str] = {
    CallPurpose.wellbeing: "关爱回访",
    CallPurpose.callback: "服务回访",
    CallPurpose.outreach: "政策告知",
}


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def soon_within_calling_hours(now: datetime) -> str:
    """A local time for a call placed by hand now: in a few minutes, within a plan's default
    calling hours (08:00–20:00), else at the default time the next morning."""
    fields = PlanCreate.model_fields
    first, last, usual = (
        str(fields[name].default) for name in ("calls_from", "calls_until", "local_time")
    )
    opens, closes = _clock(first), _clock(last)
    minutes = (now.hour * 60 + now.minute) // 5 * 5 + 10
    if minutes < opens.hour * 60 + opens.minute:
        return first
    if minutes >= closes.hour * 60 + closes.minute:
        return usual
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def within_calling_hours(plan: CallPlan, moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz).time()
    return _clock(plan.calls_from) <= local < _clock(plan.calls_until)


def _occurrence_due(plan: CallPlan, day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, _clock(plan.local_time), tz).astimezone(UTC)


def next_occurrence(plan: CallPlan, *, after: datetime, tz: ZoneInfo) -> tuple[str, datetime]:
    """The first day after `after` (local) the plan calls on, and when."""
    day = after.astimezone(tz).date()
    for _ in range(8):
        due = _occurrence_due(plan, day, tz)
        weekday_ok = plan.cadence != Cadence.weekly or day.weekday() == plan.weekday
        if due > after and weekday_ok:
            return day.isoformat(), due
        day += timedelta(days=1)
    raise AssertionError("a weekly plan has an occurrence within eight days")


def _schedule(session: Session, plan: CallPlan, *, after: datetime, tz: ZoneInfo) -> None:
    """The plan's next call (a once plan calls once; a stopped or paused plan not at all)."""
    if plan.status != PlanStatus.active:
        return
    if plan.cadence == Cadence.once and plan.calls:
        return
    occurrence, due = next_occurrence(plan, after=after, tz=tz)
    if plan.purpose == CallPurpose.callback and not plan.calls and plan.callback_id is not None:
        callback = session.get(Callback, plan.callback_id)
        if callback is not None and callback.due_at > after:
            # The service callback's own time, moved into the calling hours if need be.
            local = callback.due_at.astimezone(tz)
            occurrence = local.date().isoformat()
            due = callback.due_at
            if not within_calling_hours(plan, due, tz):
                occurrence, due = next_occurrence(plan, after=callback.due_at, tz=tz)
    exists = session.scalar(
        select(OutboundCall.id).where(
            OutboundCall.plan_id == plan.id, OutboundCall.occurrence == occurrence
        )
    )
    if exists is None:
        session.add(OutboundCall(plan=plan, occurrence=occurrence, try_number=1, due_at=due))


def create_plan(
    session: Session, *, data: PlanCreate, principal: Principal, tz: ZoneInfo
) -> CallPlan:
    get_resident(session, data.resident_id)
    if data.policy_code:
        require_policy(data.policy_code)
    if data.callback_id is not None:
        get_or_not_found(session, Callback, data.callback_id, f"Callback {data.callback_id}")
    if data.purpose == CallPurpose.callback:
        data = data.model_copy(update={"cadence": Cadence.once})
    plan = CallPlan(
        **data.model_dump(),
        consent_recorded_by=f"{principal.kind}:{principal.name}",
    )
    session.add(plan)
    session.flush()
    _schedule(session, plan, after=utcnow(), tz=tz)
    session.commit()
    return plan


def get_plan(session: Session, plan_id: int) -> CallPlan:
    return get_or_not_found(session, CallPlan, plan_id, f"Call plan {plan_id}")


def _cancel_waiting(plan: CallPlan) -> None:
    for call in plan.calls:
        if call.status == CallStatus.due:
            call.status = CallStatus.cancelled
            call.ended_at = utcnow()


def pause_plan(session: Session, *, plan_id: int, reason: str) -> CallPlan:
    plan = get_plan(session, plan_id)
    if plan.status == PlanStatus.stopped:
        raise ConflictError(f"Call plan {plan_id} was stopped by the resident")
    plan.status = PlanStatus.paused
    plan.stop_reason = reason
    _cancel_waiting(plan)
    session.commit()
    return plan


def resume_plan(session: Session, *, plan_id: int, tz: ZoneInfo) -> CallPlan:
    plan = get_plan(session, plan_id)
    if plan.status == PlanStatus.stopped:
        raise ConflictError(
            f"Call plan {plan_id} was stopped by the resident; make a new plan with new consent"
        )
    plan.status = PlanStatus.active
    plan.stop_reason = ""
    now = utcnow()
    if not any(call.status in (CallStatus.due, CallStatus.dialling) for call in plan.calls):
        cancelled = [call for call in plan.calls if call.status == CallStatus.cancelled]
        last = cancelled[-1] if cancelled else None
        if last is not None and (last.due_at > now or plan.cadence == Cadence.once):
            # The call the pause cancelled, again (at its next time if that has passed).
            last.status = CallStatus.due
            last.ended_at = None
            if last.due_at <= now:
                last.due_at = next_occurrence(plan, after=now, tz=tz)[1]
        else:
            _schedule(session, plan, after=now, tz=tz)
    session.commit()
    return plan


def list_plans(session: Session, *, resident_id: int | None, limit: int) -> list[CallPlan]:
    query = select(CallPlan).order_by(CallPlan.id.desc()).limit(limit)
    if resident_id is not None:
        query = query.where(CallPlan.resident_id == resident_id)
    return list(session.scalars(query))


def claim_calls(
    session: Session, *, claimer: str, limit: int, lease_s: int, tz: ZoneInfo
) -> list[OutboundCall]:
    """Calls to place now: due (or claimed by a bridge whose lease ran out), of active plans,
    within their calling hours. Each is leased to `claimer`; another claimer skips it."""
    now = utcnow()
    candidates = session.scalars(
        select(OutboundCall)
        .join(CallPlan)
        .where(
            CallPlan.status == PlanStatus.active,
            OutboundCall.due_at <= now,
            (OutboundCall.status == CallStatus.due)
            | ((OutboundCall.status == CallStatus.dialling) & (OutboundCall.lease_until < now)),
        )
        .order_by(OutboundCall.due_at, OutboundCall.id)
        .limit(limit * 4)
        .with_for_update(skip_locked=True, of=OutboundCall)
    ).all()
    claimed = [call for call in candidates if within_calling_hours(call.plan, now, tz)][:limit]
    for call in claimed:
        call.status = CallStatus.dialling
        call.claimed_by = claimer
        call.lease_until = now + timedelta(seconds=lease_s)
    session.commit()
    return claimed


def _escalate(session: Session, *, call: OutboundCall, reason: HandoffReason, words: str) -> None:
    """Open a handoff for the worker on duty, once per occurrence of the plan."""
    resident = call.plan.resident
    purpose = PURPOSE_WORDS[CallPurpose(call.plan.purpose)]
    handoff = open_handoff(
        session,
        data=HandoffCreate(
            channel=Channel.voice,
            sender_id=f"call:outbound-{call.number}",
            phone=resident.phone,
            reason=reason,
            last_message=f"{purpose}：{resident.name or ''}{words}",
        ),
        idempotency_key=f"outbound-escalation-{call.plan_id}-{call.occurrence}",
    )
    call.escalated_to = handoff.number


def record_result(
    session: Session, *, call_id: int, result: CallResult, tz: ZoneInfo
) -> OutboundCall:
    """What the bridge found. Reported again (a retry after a lost answer), it changes nothing."""
    call = get_or_not_found(session, OutboundCall, call_id, f"Outbound call {call_id}")
    if call.status != CallStatus.dialling:
        if call.status in (CallStatus.answered, CallStatus.unanswered):
            return call
        raise ConflictError(f"Outbound call {call.number} is {call.status}, not being placed")
    plan = call.plan
    now = utcnow()
    call.ended_at = now
    call.note = result.note
    call.lease_until = None
    if not result.answered:
        call.status = CallStatus.unanswered
        call.outcome = None
        if call.try_number < plan.max_tries:
            session.add(
                OutboundCall(
                    plan=plan,
                    occurrence=call.occurrence,
                    try_number=call.try_number + 1,
                    due_at=now + timedelta(minutes=plan.retry_minutes),
                )
            )
            session.commit()
            return call
        _escalate(
            session,
            call=call,
            reason=HandoffReason.no_answer,
            words=f"，{plan.max_tries} 次都没有接听，请上门或再联系",
        )
        _close_callback(session, plan=plan, reached=False, rating=None)
    else:
        call.status = CallStatus.answered
        call.outcome = result.outcome
        if result.outcome == CallOutcome.unwell:
            _escalate(
                session,
                call=call,
                reason=HandoffReason.distress,
                words=f"说身体不适。{result.note}",
            )
        if result.outcome == CallOutcome.stop:
            plan.status = PlanStatus.stopped
            plan.stop_reason = "居民在电话里说不要再打了"
        _close_callback(session, plan=plan, reached=True, rating=result.rating)
    _schedule(session, plan, after=max(now, _end_of_day(call.occurrence, tz)), tz=tz)
    session.commit()
    return call


def _end_of_day(occurrence: str, tz: ZoneInfo) -> datetime:
    day = date.fromisoformat(occurrence)
    return datetime.combine(day, time(23, 59), tz).astimezone(UTC)


def _close_callback(session: Session, *, plan: CallPlan, reached: bool, rating: int | None) -> None:
    if plan.callback_id is None:
        return
    callback = session.get(Callback, plan.callback_id)
    if callback is None or callback.status != CallbackStatus.scheduled:
        return
    callback.status = CallbackStatus.done if reached else CallbackStatus.unreachable
    callback.rating = rating
    callback.recorded_by = "outbound-call"
    callback.recorded_at = utcnow()


def note_late_calls(session: Session, *, grace: timedelta, tz: ZoneInfo) -> int:
    """A call still not placed `grace` into its calling hours is reported to the workers once
    (no bridge running, or all busy): late, never silently skipped. It stays due."""
    now = utcnow()
    late = session.scalars(
        select(OutboundCall)
        .join(CallPlan)
        .where(
            CallPlan.status == PlanStatus.active,
            OutboundCall.status == CallStatus.due,
            OutboundCall.due_at < now - grace,
            OutboundCall.late_reported_at.is_(None),
        )
        .order_by(OutboundCall.id)
        .limit(100)
    ).all()
    reported = 0
    for call in late:
        if not within_calling_hours(call.plan, now, tz):
            continue  # waiting for the calling hours is not late
        notify_staff(
            session,
            kind=NotificationKind.call_late,
            subject=call.number,
            text=(
                f"外呼未拨出 {call.number}：{PURPOSE_WORDS[CallPurpose(call.plan.purpose)]}，"
                f"{call.plan.resident.name or '居民'}，应于 "
                f"{call.due_at.astimezone(tz):%m-%d %H:%M} 拨打（语音网关没有领取）"
            ),
            link="/console/outbound",
        )
        call.late_reported_at = now
        reported += 1
    return reported


def call_out(call: OutboundCall) -> CallOut:
    plan = call.plan
    return CallOut(
        id=call.id,
        number=call.number,
        plan_id=plan.id,
        purpose=plan.purpose,
        resident_id=plan.resident_id,
        resident_name=plan.resident.name,
        salutation=plan.salutation,
        phone=plan.resident.phone,
        policy_code=plan.policy_code,
        occurrence=call.occurrence,
        try_number=call.try_number,
        max_tries=plan.max_tries,
        due_at=call.due_at,
        status=call.status,
        outcome=call.outcome,
        note=call.note,
        escalated_to=call.escalated_to,
        ended_at=call.ended_at,
    )


def calls_of_day(session: Session, *, day: date, tz: ZoneInfo) -> list[OutboundCall]:
    """Every call of a local day, escalated first, then by time."""
    calls = list(
        session.scalars(
            select(OutboundCall)
            .where(OutboundCall.occurrence == day.isoformat())
            .order_by(OutboundCall.due_at, OutboundCall.id)
        )
    )
    return sorted(calls, key=lambda call: call.escalated_to is None)
