"""Recurring bookings: a plan is turned into one booking per occurrence in one transaction, so
a plan lands whole or not at all (a budget that cannot pay every occurrence refuses it)."""

from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.booking_plans.models import BookingPlan, PlanStatus
from api.booking_plans.schemas import MAX_OCCURRENCES, BookingPlanCreate
from api.bookings.schemas import BookingCreate
from api.bookings.service import BOOKING_HORIZON, CANCELLABLE, add_booking, mark_cancelled
from api.db import find_by_idempotency_key, get_or_not_found, utcnow
from api.errors import InvalidInputError
from api.residents.service import find_or_create_by_phone, linked_residents
from api.validation import parse_number


def occurrence_times(*, first: datetime, weekdays: list[int], last_day: date) -> list[datetime]:
    """Every planned day from `first` to `last_day`, at the first occurrence's time of day
    (in its own UTC offset: the resident's local time)."""
    times = []
    day = first
    while day.date() <= last_day:
        if day.weekday() in weekdays:
            times.append(day)
        day += timedelta(days=1)
    return times


def create_plan(
    session: Session, *, data: BookingPlanCreate, idempotency_key: str | None
) -> BookingPlan:
    existing: BookingPlan | None = find_by_idempotency_key(session, BookingPlan, idempotency_key)
    if existing is not None:
        return existing
    if data.last_day < data.scheduled_at.date():
        raise InvalidInputError("last_day is before the first occurrence")
    if data.scheduled_at.date() + BOOKING_HORIZON < data.last_day:
        raise InvalidInputError("last_day is more than 90 days after the first occurrence")
    times = occurrence_times(
        first=data.scheduled_at, weekdays=data.weekdays, last_day=data.last_day
    )
    if not times:
        raise InvalidInputError("no planned weekday falls between the first and the last day")
    if len(times) > MAX_OCCURRENCES:
        raise InvalidInputError(f"a plan holds at most {MAX_OCCURRENCES} occurrences")
    resident = find_or_create_by_phone(session, data.phone, data.name, data.address)
    plan = BookingPlan(
        resident=resident,
        service_code=data.service,
        weekdays=",".join(str(day) for day in data.weekdays),
        first_at=times[0],
        last_day=data.last_day,
        time_text=data.time_text,
        address=data.address,
        channel=data.channel,
        sender_id=data.sender_id,
        idempotency_key=idempotency_key,
    )
    session.add(plan)
    session.flush()
    one_off = data.model_dump(exclude={"weekdays", "last_day", "scheduled_at"})
    for when in times:
        occurrence = BookingCreate(**one_off, scheduled_at=when)
        add_booking(session, data=occurrence, plan_id=plan.id)
    session.commit()
    session.refresh(plan)
    return plan


def get_plan(session: Session, number: str) -> BookingPlan:
    plan_id = parse_number(number, BookingPlan.NUMBER_PREFIX)
    return get_or_not_found(session, BookingPlan, plan_id, f"Booking plan {number}")


def list_plans(session: Session, *, sender_id: str | None, limit: int) -> list[BookingPlan]:
    query = select(BookingPlan).order_by(BookingPlan.id.desc()).limit(limit)
    if sender_id:
        query = query.where(
            or_(
                BookingPlan.sender_id == sender_id,
                BookingPlan.resident_id.in_(linked_residents(sender_id)),
            )
        )
    return list(session.scalars(query))


def cancel_rest(session: Session, *, number: str, reason: str) -> BookingPlan:
    """Call off the rest of the plan: every occurrence still to come and not yet under way is
    cancelled (its budget draw given back); the ones served or being served stay."""
    plan = get_plan(session, number)
    now = utcnow()
    for booking in plan.occurrences:
        if booking.status in CANCELLABLE and booking.scheduled_at > now:
            mark_cancelled(booking, reason)
    plan.status = PlanStatus.cancelled
    plan.cancel_reason = reason
    session.commit()
    session.refresh(plan)
    return plan
