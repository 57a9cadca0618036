"""派单: which workers may take a booking, and sending it to one of them. `dispatch` refuses
exactly what `eligible_workers` does not offer: one rule for the console and the API."""

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import Role, StaffUser
from api.bookings.models import Booking, BookingStatus
from api.bookings.schemas import BookingDispatch
from api.bookings.service import get_booking, require_status, tell_resident
from api.db import utcnow
from api.errors import ConflictError, InvalidInputError
from api.notifications.models import NotificationKind
from api.providers.models import Provider
from api.providers.schemas import TrafficLight
from api.providers.service import get_provider, list_providers, standing


@dataclass(frozen=True)
class EligibleWorker:
    """A worker who may take a booking, and the provider they would serve it for."""

    provider_id: int
    provider_name: str
    username: str
    light: TrafficLight


def _provider_refusal(provider: Provider, light: TrafficLight, service_code: str) -> str | None:
    """Why `provider` may not receive a booking of `service_code` now, or None if it may:
    it must be active, offer the service (an empty list offers every service) and not be on
    red. `dispatch` enforces this and `eligible_workers` offers by it."""
    if not provider.is_active:
        return f"Provider {provider.id} is not active"
    if provider.service_codes and service_code not in provider.service_codes:
        return f"Provider {provider.id} does not offer '{service_code}'"
    if light == TrafficLight.red:
        return f"Provider {provider.id} is on red and may not receive orders"
    return None


def _works_for(worker: StaffUser, provider: Provider) -> bool:
    return (
        worker.is_active
        and worker.role == Role.provider_worker
        and worker.provider_id == provider.id
    )


def eligible_workers(
    session: Session, *, service_codes: Collection[str]
) -> dict[str, list[EligibleWorker]]:
    """For each service code, every worker `dispatch` would accept for a booking of it, by
    username. One call for a whole page of bookings: each provider's light is computed once."""
    providers = [provider for provider in list_providers(session) if provider.is_active]
    lights = {provider.id: standing(session, provider.id).light for provider in providers}
    workers = list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.role == Role.provider_worker, StaffUser.is_active)
            .order_by(StaffUser.username)
        )
    )
    return {
        code: [
            EligibleWorker(provider.id, provider.name, worker.username, lights[provider.id])
            for worker in workers
            for provider in providers
            if _works_for(worker, provider)
            and _provider_refusal(provider, lights[provider.id], code) is None
        ]
        for code in service_codes
    }


def dispatch(session: Session, number: str, data: BookingDispatch) -> Booking:
    booking = get_booking(session, number)
    require_status(booking, BookingStatus.requested, BookingStatus.dispatched)
    provider = get_provider(session, data.provider_id)
    light = standing(session, provider.id).light
    refusal = _provider_refusal(provider, light, booking.service_code)
    if refusal is not None:
        raise ConflictError(refusal)
    worker = session.scalar(select(StaffUser).where(StaffUser.username == data.worker))
    if worker is None or not _works_for(worker, provider):
        raise InvalidInputError(
            f"'{data.worker}' is not an active worker of provider {provider.id}"
        )
    booking.provider_id = provider.id
    booking.worker_username = worker.username
    booking.status = BookingStatus.dispatched
    booking.dispatched_at = utcnow()
    booking.accepted_at = None
    tell_resident(session, booking=booking, kind=NotificationKind.worker_assigned)
    session.commit()
    return booking
