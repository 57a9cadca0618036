"""Bookings in numbers, for the stats endpoints and the console's charts."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import stats
from api.bookings.models import Booking
from api.bookings.schemas import ServiceShare
from api.catalogue.service import load_services
from api.db import utcnow
from api.stats import WeeklyCount


def service_mix(session: Session, days: int) -> list[ServiceShare]:
    """Bookings made in the last `days` days per service, largest first (cancelled ones too:
    they still show what residents asked for)."""
    since = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(Booking.service_code, func.count())
        .where(Booking.created_at >= since)
        .group_by(Booking.service_code)
    ).all()
    total = sum(count for _, count in rows)
    services = load_services()
    shares = [
        ServiceShare(
            code=code,
            name=services[code].name if code in services else code,
            count=count,
            share=round(count / total, 4),
        )
        for code, count in rows
    ]
    return sorted(shares, key=lambda share: (-share.count, share.code))


def weekly_volume(session: Session, weeks: int) -> list[WeeklyCount]:
    """Bookings per channel in each of the last `weeks` weeks."""
    return stats.weekly_volume(session, Booking.created_at, Booking.channel, weeks)
