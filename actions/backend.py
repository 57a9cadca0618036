"""Typed HTTP client for the case backend. Actions reach the backend only through this."""

import dataclasses
import functools
import logging
import ssl
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from actions.outbox import Outbox
from actions.settings import ActionSettings, get_settings

log = logging.getLogger(__name__)


class BackendUnavailableError(Exception):
    """The backend could not be reached; a write was queued in the outbox if `queued`."""

    def __init__(self, message: str, queued: bool = False) -> None:
        super().__init__(message)
        self.queued = queued


class BackendRejectedError(Exception):
    """The backend refused the request (4xx); `detail` is its English message for operators."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


@dataclass(frozen=True)
class PolicyAnswer:
    policy: str
    name: str
    aspect: str | None
    aspect_name: str | None
    text: str
    region: str
    year: int
    source: str
    sample: bool


@dataclass(frozen=True)
class Booking:
    number: str
    service_code: str
    scheduled_at: str
    address: str
    status: str
    # Whether the backend would still cancel it (its rule, not the client's).
    cancellable: bool


@dataclass(frozen=True)
class BookingPlan:
    """A recurring booking: the backend keeps one booking per occurrence."""

    number: str
    service_code: str
    status: str
    occurrence_count: int


@dataclass(frozen=True)
class Case:
    number: str
    policy_code: str
    status: str


@dataclass(frozen=True)
class EligibilityMatch:
    policy: str
    name: str
    reason: str
    next_step: str
    apply_via_assistant: bool


@dataclass(frozen=True)
class Handoff:
    number: str
    reason: str


def _pick(cls: type, data: dict[str, Any]) -> Any:
    """Build a dataclass from a JSON object, ignoring fields the client does not use."""
    return cls(**{field.name: data[field.name] for field in dataclasses.fields(cls)})


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA certificates takes ~30 ms: once per process, not once per action."""
    return ssl.create_default_context()


class BackendClient:
    """Use as ``async with BackendClient() as backend:``; one HTTP connection pool per use."""

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self.settings = settings or get_settings()
        self.outbox = Outbox(self.settings.outbox_path)
        self._http = httpx.AsyncClient(
            base_url=f"{self.settings.backend_url}/api/v1",
            headers={"X-API-Key": self.settings.backend_api_key.get_secret_value()},
            timeout=httpx.Timeout(self.settings.backend_timeout_s, connect=2.0),
            verify=_tls_context(),
        )

    async def __aenter__(self) -> "BackendClient":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._http.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise BackendUnavailableError(f"{method} {path}: {exc!r}") from exc
        if response.status_code >= 500:
            raise BackendUnavailableError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail", response.text))
            except ValueError:
                detail = response.text
            raise BackendRejectedError(response.status_code, detail)
        return response.json()

    async def _write(self, path: str, payload: dict[str, Any]) -> Any:
        """POST a new record; if the backend is unreachable, keep it in the outbox."""
        await self.flush_outbox()
        key = str(uuid.uuid4())
        try:
            return await self._request("POST", path, json=payload, idempotency_key=key)
        except BackendUnavailableError as exc:
            self.outbox.add(path, payload, key)
            log.warning("backend unavailable, queued %s in the outbox: %s", path, exc)
            raise BackendUnavailableError(str(exc), queued=True) from exc

    async def flush_outbox(self) -> int:
        """Re-send queued writes in order; stop at the first that still cannot be delivered."""
        sent = 0
        for pending in self.outbox.pending():
            try:
                await self._request(
                    "POST",
                    pending.path,
                    json=pending.payload,
                    idempotency_key=pending.idempotency_key,
                )
            except BackendUnavailableError:
                break
            except BackendRejectedError as exc:
                # Will never be accepted as it is: log it for an operator rather than retry forever.
                log.error("outbox request %s rejected, dropped: %s", pending.idempotency_key, exc)
            self.outbox.remove(pending.id)
            sent += 1
        return sent

    async def policy_answer(self, policy: str, aspect: str | None) -> PolicyAnswer | None:
        """The knowledge base's answer, or None when it has no details for that policy."""
        params = {"aspect": aspect} if aspect else None
        try:
            data = await self._request("GET", f"/policies/{policy}/answer", params=params)
        except BackendRejectedError as exc:
            if exc.status_code in (404, 422):
                return None
            raise
        answer: PolicyAnswer = _pick(PolicyAnswer, data)
        return answer

    async def screen_eligibility(self, facts: dict[str, Any]) -> list[EligibilityMatch]:
        data = await self._request("POST", "/eligibility/screen", json=facts)
        return [_pick(EligibilityMatch, item) for item in data["matches"]]

    async def create_booking(self, payload: dict[str, Any]) -> Booking:
        booking: Booking = _pick(Booking, await self._write("/bookings", payload))
        return booking

    async def create_booking_plan(self, payload: dict[str, Any]) -> BookingPlan:
        plan: BookingPlan = _pick(BookingPlan, await self._write("/booking-plans", payload))
        return plan

    async def create_case(self, payload: dict[str, Any]) -> Case:
        case: Case = _pick(Case, await self._write("/cases", payload))
        return case

    async def create_handoff(self, payload: dict[str, Any]) -> Handoff:
        handoff: Handoff = _pick(Handoff, await self._write("/handoffs", payload))
        return handoff

    async def record_consent(self, consent: dict[str, Any]) -> None:
        await self._request("POST", "/consents", json=consent)

    async def create_need_report(self, payload: dict[str, Any]) -> None:
        await self._write("/need-reports", payload)

    async def create_feedback(self, payload: dict[str, Any]) -> None:
        await self._write("/feedback", payload)

    async def bookings_of(self, sender_id: str) -> list[Booking]:
        data = await self._request("GET", "/bookings", params={"sender_id": sender_id})
        return [_pick(Booking, item) for item in data]

    async def cases_of(self, sender_id: str) -> list[Case]:
        data = await self._request("GET", "/cases", params={"sender_id": sender_id})
        return [_pick(Case, item) for item in data]

    async def cancel_booking(self, number: str, reason: str, sender_id: str) -> Booking:
        """Cancel on behalf of the conversation that booked it (the backend checks it is)."""
        data = await self._request(
            "POST",
            f"/bookings/{number}/cancel",
            json={"reason": reason, "sender_id": sender_id},
        )
        booking: Booking = _pick(Booking, data)
        return booking
