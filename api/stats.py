"""Counting helpers shared by the domain packages' chart endpoints (the consoles' dashboards)."""

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.db import utcnow

MAX_WEEKS = 52


class WeeklyCount(BaseModel):
    """How many records one channel brought in during the week starting on Monday week_start."""

    week_start: date
    channel: str
    count: int


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_week(now: datetime, weeks: int) -> date:
    """The Monday `weeks - 1` weeks before this week's: `weeks` weeks including this one."""
    return week_start(now.date()) - timedelta(weeks=weeks - 1)


def weekly_counts(
    rows: Iterable[tuple[datetime, str]], now: datetime, weeks: int
) -> list[WeeklyCount]:
    """Each channel's count for each of the last `weeks` weeks, zeros included, so a chart
    shows a quiet week as a gap instead of leaving it out. No records: no rows."""
    start = first_week(now, weeks)
    counts = Counter(
        (week_start(created.date()), channel)
        for created, channel in rows
        if created.date() >= start
    )
    channels = sorted({channel for _, channel in counts})
    return [
        WeeklyCount(week_start=monday, channel=channel, count=counts[(monday, channel)])
        for monday in (start + timedelta(weeks=offset) for offset in range(weeks))
        for channel in channels
    ]


def weekly_volume(
    session: Session,
    created_at: InstrumentedAttribute[datetime],
    channel: InstrumentedAttribute[str],
    weeks: int,
) -> list[WeeklyCount]:
    """Records of one table (given by its created_at and channel columns) per channel in each
    of the last `weeks` weeks."""
    now = utcnow()
    since = datetime.combine(first_week(now, weeks), time.min, tzinfo=UTC)
    rows = session.execute(select(created_at, channel).where(created_at >= since)).tuples()
    return weekly_counts(rows, now, weeks)
