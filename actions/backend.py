"""Typed HTTP client for the case backend. Actions reach the backend only through this."""

import asyncio
import dataclasses
import functools
import hashlib
import logging
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from actions.settings import ActionSettings, get_settings
from common.outbox import (
    Outbox,
    OutboxUnavailableError,
    RejectedWriteError,
    deliver_due,
    wake_outbox_flusher,
)

log = logging.getLogger(__name__)


class BackendUnavailableError(Exception):
    """The backend could not be reached; a write was queued in the outbox if `queued`."""

    def __init__(self, message: str, queued: bool = False) -> None:
        super().__init__(message)
        self.queued = queued


class BackendRejectedError(RejectedWriteError):
    """The backend refused the request (4xx); `detail` is its English message for operators."""


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


@dataclass
class _Turn:
    """The user message an action runs for, and how many writes to each path it made."""

    sender_id: str
    message_id: str | None
    action: str
    writes: dict[str, int] = field(default_factory=dict)
    # Writes in the outbox that the backend has not yet accepted (sending, or queued): when the
    # action fails after one, its apology says the request was kept, not that nothing was.
    kept_writes: int = 0


# Set by the action server around every action (`for_turn`).
_current_turn: ContextVar[_Turn | None] = ContextVar("linli_current_turn", default=None)


def _message_id(tracker: Any) -> str | None:
    """The id Rasa gave the latest user message (or, lacking one, its timestamp)."""
    for event in reversed(getattr(tracker, "events", None) or []):
        if isinstance(event, dict) and event.get("event") == "user":
            found = event.get("message_id") or event.get("timestamp")
            return str(found) if found else None
    found = (getattr(tracker, "latest_message", None) or {}).get("message_id")
    return str(found) if found else None


@contextmanager
def for_turn(action: str, tracker: Any) -> Iterator[_Turn]:
    """Writes made inside belong to this action run for the tracker's latest user message:
    a retry of the same turn sends the same Idempotency-Keys, so the backend files nothing
    twice (and refuses a key replayed with another body)."""
    turn = _Turn(str(tracker.sender_id), _message_id(tracker), action)
    token = _current_turn.set(turn)
    try:
        yield turn
    finally:
        _current_turn.reset(token)


def write_idempotency_key(path: str) -> str:
    """The Idempotency-Key of a write to `path`: derived from the sender, the user message,
    the action and the write's place among the action's writes to that path; a fresh one
    outside an action run (tests, scripts)."""
    turn = _current_turn.get()
    if turn is None or turn.message_id is None:
        return str(uuid.uuid4())
    number = turn.writes.get(path, 0)
    turn.writes[path] = number + 1
    material = "\n".join([turn.sender_id, turn.message_id, turn.action, path, str(number)])
    return "turn-" + hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:48]


def _pick(cls: type, data: dict[str, Any]) -> Any:
    """Build a dataclass from a JSON object, ignoring fields the client does not use."""
    return cls(**{field.name: data[field.name] for field in dataclasses.fields(cls)})


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA certificates takes ~30 ms: once per process, not once per action."""
    return ssl.create_default_context()


# The process's clients, one per event loop and settings: the action server has one loop and
# one settings object, so one client and one pool of kept-alive connections to the backend.
# (A loop of its own per test gets a client of its own: a pool cannot cross event loops.)
_shared_clients: dict[tuple[int, int], tuple[asyncio.AbstractEventLoop, "BackendClient"]] = {}


def shared_backend_client(settings: ActionSettings | None = None) -> "BackendClient":
    settings = settings or get_settings()
    loop = asyncio.get_running_loop()
    key = (id(loop), id(settings))
    known = _shared_clients.get(key)
    if known is None or known[0] is not loop or known[0].is_closed():
        known = _shared_clients[key] = (loop, BackendClient(settings, shared=True))
    return known[1]


async def close_shared_backend_clients() -> None:
    """At the server's stop: close the pools of the running loop."""
    loop = asyncio.get_running_loop()
    for key, (owner, client) in list(_shared_clients.items()):
        if owner is loop:
            await client.close()
            del _shared_clients[key]


class BackendClient:
    """Use as ``async with shared_backend_client() as backend:`` in actions (one connection
    pool per process, kept alive), or ``async with BackendClient() as backend:`` for a pool
    of its own, closed at the end."""

    def __init__(self, settings: ActionSettings | None = None, *, shared: bool = False) -> None:
        self.settings = settings or get_settings()
        self.shared = shared
        self.outbox = Outbox(
            self.settings.outbox_path, keys=self.settings.outbox_key.get_secret_value()
        )
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
        if not self.shared:
            await self._http.aclose()

    async def close(self) -> None:
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

    @property
    def _lease_s(self) -> float:
        """How long a claimed row is ours: longer than any one send can take, so no other
        flusher resends it while we still might deliver it."""
        return 2 * self.settings.backend_timeout_s + 5.0

    async def _write(
        self, path: str, payload: dict[str, Any], idempotency_key: str | None = None
    ) -> Any:
        """POST a new record, write-ahead: the row is in the outbox before it is sent, so a
        crash mid-request loses nothing; it goes once the backend accepted it.

        BackendUnavailableError(queued=True) means the write is durably kept and will be sent
        by the background flusher; OutboxUnavailableError means it was neither kept nor
        accepted (the action's apology says nothing was submitted)."""
        key = idempotency_key or write_idempotency_key(path)
        turn = _current_turn.get()
        try:
            row_id: int | None = self.outbox.add(path, payload, key, lease_s=self._lease_s)
        except OutboxUnavailableError:
            log.exception("outbox unavailable: sending %s without a safety copy", path)
            row_id = None
        if row_id is not None and turn is not None:
            turn.kept_writes += 1
        try:
            result = await self._request("POST", path, json=payload, idempotency_key=key)
        except BackendUnavailableError as exc:
            if row_id is None:
                raise OutboxUnavailableError(f"{path} neither kept nor delivered") from exc
            self.outbox.retry_later(row_id, str(exc), backoff=False)
            log.warning("backend unavailable, %s stays in the outbox: %s", path, exc)
            raise BackendUnavailableError(str(exc), queued=True) from exc
        except BackendRejectedError:
            # The action tells the resident it was not filed: nothing to resend.
            if row_id is not None:
                self.outbox.forget(row_id)
                if turn is not None:
                    turn.kept_writes -= 1
            raise
        if row_id is not None:
            self.outbox.delivered(row_id)
            if turn is not None:
                turn.kept_writes -= 1
        wake_outbox_flusher()  # the backend answers: what waits in the outbox may go now
        return result

    async def _send_write(
        self, path: str, payload: dict[str, Any], idempotency_key: str | None
    ) -> Any:
        return await self._request("POST", path, json=payload, idempotency_key=idempotency_key)

    async def flush_outbox(self, limit: int = 50) -> int:
        """Send what waits in the outbox and report dead letters (`common.outbox`)."""
        return await deliver_due(self.outbox, self._send_write, limit=limit, lease_s=self._lease_s)

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

    async def seal_number(self, *, kind: str, value: str) -> str:
        """The sealed reference the backend gives for a phone ("phone") or ID number
        ("id_number") a resident just said: what slots and outbox rows keep instead of it."""
        data = await self._request(
            "POST", "/residents/sealed-numbers", json={"kind": kind, "value": value}
        )
        return str(data["reference"])

    async def record_consent(self, consent: dict[str, Any]) -> None:
        await self._request("POST", "/consents", json=consent)

    async def consent_answers(self, *, channel: str, sender_id: str) -> dict[str, bool]:
        """The conversation's latest answer per consent purpose (a later "no" withdraws)."""
        data = await self._request(
            "GET", "/consents", params={"channel": channel, "sender_id": sender_id}
        )
        return {item["purpose"]: bool(item["granted"]) for item in data}  # oldest first

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
