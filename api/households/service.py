"""Households and their one file (一户一档): everything done for every member, in time order."""

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.bookings.models import Booking
from api.call_plans.models import CallPlan, OutboundCall
from api.callbacks.models import Callback
from api.cases.models import Case, CaseEvent
from api.db import get_or_not_found
from api.feedback.models import Feedback
from api.handoffs.models import Handoff
from api.need_reports.models import NeedReport
from api.residents.models import Household, Resident
from api.residents.schemas import HouseholdCreate, TimelineItem


def create_household(session: Session, data: HouseholdCreate) -> Household:
    household = Household(name=data.name, address=data.address)
    session.add(household)
    session.commit()
    return household


def get_household(session: Session, household_id: int) -> Household:
    return get_or_not_found(session, Household, household_id, f"Household {household_id}")


def list_households(session: Session, limit: int) -> list[Household]:
    return list(session.scalars(select(Household).order_by(Household.id.desc()).limit(limit)))


def _booking_items(booking: Booking) -> list[TimelineItem]:
    def item(at: object, kind: str, summary: str) -> TimelineItem:
        return TimelineItem.model_validate(
            {
                "at": at,
                "kind": kind,
                "resident_id": booking.resident_id,
                "reference": booking.number,
                "summary": summary,
            }
        )

    items = [
        item(
            booking.created_at,
            "booking",
            f"booked {booking.service_code} "
            f"for {booking.scheduled_at.isoformat()} via {booking.channel}",
        )
    ]
    if booking.dispatched_at:
        items.append(
            item(
                booking.dispatched_at, "booking_status", f"dispatched to {booking.worker_username}"
            )
        )
    if booking.checked_in_at:
        items.append(
            item(
                booking.checked_in_at,
                "visit",
                "worker checked in" + (" with photo" if booking.check_in_photo_url else ""),
            )
        )
    if booking.checked_out_at:
        items.append(
            item(
                booking.checked_out_at,
                "visit",
                "worker checked out"
                + (f": {booking.service_report}" if booking.service_report else ""),
            )
        )
    if booking.cancelled_at:
        items.append(
            item(booking.cancelled_at, "booking_status", f"cancelled: {booking.cancel_reason}")
        )
    return items


def timeline(session: Session, household: Household) -> list[TimelineItem]:
    return members_timeline(session, household.members)


def members_timeline(session: Session, members: Sequence[Resident]) -> list[TimelineItem]:
    """The timeline of these residents: a household's members, or one resident on their own."""
    member_ids = [member.id for member in members]
    phones = [member.phone for member in members if member.phone]
    if not member_ids:
        return []
    items: list[TimelineItem] = []
    for case in session.scalars(select(Case).where(Case.resident_id.in_(member_ids))):
        for event in case.events:
            items.append(_case_item(case, event))
    bookings = list(session.scalars(select(Booking).where(Booking.resident_id.in_(member_ids))))
    for booking in bookings:
        items.extend(_booking_items(booking))
    booking_numbers = [booking.number for booking in bookings]
    feedback_query = select(Feedback).where(
        or_(Feedback.resident_id.in_(member_ids), Feedback.booking_number.in_(booking_numbers))
    )
    for feedback in session.scalars(feedback_query):
        kind = "complaint" if feedback.is_complaint else "rating"
        rating = f"{feedback.rating}/5 " if feedback.rating is not None else ""
        items.append(
            TimelineItem(
                at=feedback.created_at,
                kind=kind,
                resident_id=feedback.resident_id,
                reference=feedback.booking_number,
                summary=f"{rating}{feedback.text}".strip(),
            )
        )
    for callback in session.scalars(select(Callback).where(Callback.resident_id.in_(member_ids))):
        summary = f"{callback.status}: {callback.purpose}"
        if callback.note:
            summary += f" — {callback.note}"
        items.append(
            TimelineItem(
                at=callback.recorded_at or callback.due_at,
                kind="callback",
                resident_id=callback.resident_id,
                reference=None,
                summary=summary,
            )
        )
    for report in session.scalars(select(NeedReport).where(NeedReport.resident_id.in_(member_ids))):
        items.append(
            TimelineItem(
                at=report.created_at,
                kind="need_report",
                resident_id=report.resident_id,
                reference=report.number,
                summary=f"[{report.status}] {report.text}",
            )
        )
    ended_calls = session.scalars(
        select(OutboundCall)
        .join(CallPlan)
        .where(CallPlan.resident_id.in_(member_ids), OutboundCall.ended_at.is_not(None))
    )
    for call in ended_calls:
        outcome = f" {call.outcome}" if call.outcome else ""
        note = f" — {call.note}" if call.note else ""
        items.append(
            TimelineItem(
                at=call.ended_at or call.due_at,
                kind="outbound_call",
                resident_id=call.plan.resident_id,
                reference=call.number,
                summary=(
                    f"{call.plan.purpose} try {call.try_number}/{call.plan.max_tries}: "
                    f"{call.status}{outcome}{note}"
                ),
            )
        )
    if phones:
        for handoff in session.scalars(select(Handoff).where(Handoff.phone.in_(phones))):
            danger = f" ({handoff.danger})" if handoff.danger else ""
            items.append(
                TimelineItem(
                    at=handoff.created_at,
                    kind="handoff",
                    resident_id=None,
                    reference=handoff.number,
                    summary=f"{handoff.reason}{danger}: {handoff.last_message}",
                )
            )
    items.sort(key=lambda item: item.at)
    return items


def _case_item(case: Case, event: CaseEvent) -> TimelineItem:
    if event.from_status is None:
        summary = f"applied for {case.policy_code} via {case.channel}"
        kind = "case"
    else:
        summary = f"{event.from_status} → {event.to_status} by {event.actor}"
        if event.comment:
            summary += f": {event.comment}"
        kind = "case_status"
    return TimelineItem(
        at=event.at, kind=kind, resident_id=case.resident_id, reference=case.number, summary=summary
    )
