"""Service providers and their traffic light (红黄绿灯), as Huimin county rates its providers.

Thresholds, over the ratings and complaints of the last WINDOW_DAYS days:

- red (removed from dispatch): RED_COMPLAINTS or more complaints, or at least
  MIN_RATINGS_FOR_RED ratings averaging below RED_AVERAGE;
- yellow (warning, must fix): YELLOW_COMPLAINTS or more complaints, or at least
  MIN_RATINGS_FOR_YELLOW ratings averaging below YELLOW_AVERAGE;
- green (keep): otherwise, including a provider with no ratings yet.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.catalogue.service import require_service
from api.db import get_or_not_found, utcnow
from api.errors import ConflictError
from api.feedback.models import Feedback
from api.providers.models import Provider
from api.providers.schemas import ProviderCreate, ProviderOut, ProviderStanding, TrafficLight

WINDOW_DAYS = 90
RED_COMPLAINTS = 3
RED_AVERAGE = 3.0
MIN_RATINGS_FOR_RED = 5
YELLOW_COMPLAINTS = 1
YELLOW_AVERAGE = 4.0
MIN_RATINGS_FOR_YELLOW = 3


@dataclass(frozen=True)
class Breach:
    """A threshold a provider's recent feedback crossed: the reason for a red or yellow light."""

    light: TrafficLight  # red or yellow
    measure: Literal["complaints", "average"]
    # Complaints from which the light applies, or the average rating below which it does.
    threshold: int | float


def breaches(*, complaints: int, ratings: int, average: float | None) -> list[Breach]:
    """The thresholds crossed, complaints first; each measure counts once, at its worst light.

    The one place the thresholds are applied: `standing` explains them in English for API
    clients, the console in Chinese for social workers."""
    crossed = []
    if complaints >= RED_COMPLAINTS:
        crossed.append(Breach(TrafficLight.red, "complaints", RED_COMPLAINTS))
    elif complaints >= YELLOW_COMPLAINTS:
        crossed.append(Breach(TrafficLight.yellow, "complaints", YELLOW_COMPLAINTS))
    if average is not None and ratings >= MIN_RATINGS_FOR_RED and average < RED_AVERAGE:
        crossed.append(Breach(TrafficLight.red, "average", RED_AVERAGE))
    elif average is not None and ratings >= MIN_RATINGS_FOR_YELLOW and average < YELLOW_AVERAGE:
        crossed.append(Breach(TrafficLight.yellow, "average", YELLOW_AVERAGE))
    return crossed


def standing(session: Session, provider_id: int) -> ProviderStanding:
    since = utcnow() - timedelta(days=WINDOW_DAYS)
    recent = (Feedback.provider_id == provider_id, Feedback.created_at >= since)
    ratings, average = session.execute(
        select(func.count(Feedback.rating), func.avg(Feedback.rating)).where(*recent)
    ).one()
    complaints = session.scalar(
        select(func.count()).select_from(Feedback).where(*recent, Feedback.is_complaint)
    )
    ratings, complaints = int(ratings or 0), int(complaints or 0)
    average = round(float(average), 2) if average is not None else None

    def explain(breach: Breach) -> str:
        if breach.measure == "complaints":
            count = "complaints" if breach.light == TrafficLight.red else "complaint(s)"
            return (
                f"{complaints} {count} in {WINDOW_DAYS} days "
                f"({breach.light} from {breach.threshold})"
            )
        return (
            f"average rating {average} over {ratings} ratings "
            f"({breach.light} below {breach.threshold})"
        )

    crossed = breaches(complaints=complaints, ratings=ratings, average=average)
    red = [explain(b) for b in crossed if b.light == TrafficLight.red]
    yellow = [explain(b) for b in crossed if b.light == TrafficLight.yellow]
    if red:
        light, reasons = TrafficLight.red, red + yellow
    elif yellow:
        light, reasons = TrafficLight.yellow, yellow
    else:
        light = TrafficLight.green
        reasons = [f"{complaints} complaints and {ratings} ratings in {WINDOW_DAYS} days"]
        if average is not None:
            reasons[0] += f", average {average}"
    return ProviderStanding(
        light=light,
        reasons=reasons,
        window_days=WINDOW_DAYS,
        ratings=ratings,
        average_rating=average,
        complaints=complaints,
    )


def provider_out(session: Session, provider: Provider) -> ProviderOut:
    return ProviderOut(
        id=provider.id,
        name=provider.name,
        phone=provider.phone,
        service_codes=provider.service_codes,
        is_active=provider.is_active,
        created_at=provider.created_at,
        standing=standing(session, provider.id),
    )


def create_provider(session: Session, data: ProviderCreate) -> Provider:
    for code in data.service_codes:
        require_service(code)
    if session.scalar(select(Provider).where(Provider.name == data.name)) is not None:
        raise ConflictError(f"A provider named '{data.name}' already exists")
    provider = Provider(name=data.name, phone=data.phone, service_codes=data.service_codes)
    session.add(provider)
    session.commit()
    return provider


def get_provider(session: Session, provider_id: int) -> Provider:
    return get_or_not_found(session, Provider, provider_id, f"Provider {provider_id}")


def list_providers(session: Session) -> list[Provider]:
    return list(session.scalars(select(Provider).order_by(Provider.id)))
