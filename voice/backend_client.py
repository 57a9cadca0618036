"""The case backend as the voice channel sees it: call records, turns, handoffs.

Call records are best effort: a backend failure is logged and never breaks the call in
progress. A handoff is a promise to a caller (a worker will call back, a worker was alerted),
so it is written to the bridge's outbox before it is sent (`common/outbox.py`): the caller is
told it was filed only once the backend accepted it, that it is kept while it waits, and the
background flusher (`voice/serve.py`) sends it once the backend is back, across restarts."""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx

from common import labels
from common.outbox import (
    Outbox,
    OutboxUnavailableError,
    RejectedWriteError,
    deliver_due,
    wake_outbox_flusher,
)

log = logging.getLogger(__name__)


class BackendUnreachableError(Exception):
    """No answer from the backend (connection, timeout, 5xx): worth sending again."""


@dataclass(frozen=True)
class FiledHandoff:
    """What became of a handoff: `accepted` by the backend (with its number); else `kept`
    when it waits in the outbox and will be sent, or neither."""

    accepted: bool
    kept: bool
    number: str | None = None


class BackendClient:
    def __init__(self, base_url: str, api_key: str, timeout_s: float, outbox: Outbox) -> None:
        self.enabled = bool(api_key)
        self.outbox = outbox
        self._timeout_s = timeout_s
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/api/v1",
            headers={"X-API-Key": api_key},
            timeout=httpx.Timeout(timeout_s, connect=2.0),
        )

    async def send(self, path: str, payload: dict[str, Any], idempotency_key: str | None) -> Any:
        """POST once. RejectedWriteError on a 4xx, BackendUnreachableError otherwise."""
        if not self.enabled:
            raise BackendUnreachableError("LINLI_VOICE_BACKEND_API_KEY is not set")
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = await self._http.post(path, json=payload, headers=headers)
        except httpx.HTTPError as error:
            raise BackendUnreachableError(f"POST {path}: {error!r}") from error
        if response.status_code >= 500:
            raise BackendUnreachableError(f"POST {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RejectedWriteError(response.status_code, response.text[:1000])
        try:
            return response.json()
        except ValueError as error:
            raise BackendUnreachableError(f"POST {path}: not JSON") from error

    async def _record(self, path: str, payload: dict[str, Any]) -> None:
        """A call record: sent once, a failure logged."""
        if not self.enabled:
            return
        try:
            await self.send(path, payload, None)
        except (BackendUnreachableError, RejectedWriteError) as error:
            log.error("backend %s failed: %r", path, error)

    async def start_call(self, call_id: str, transport: str, caller_number: str | None) -> None:
        payload: dict[str, Any] = {"call_id": call_id, "transport": transport}
        if caller_number:
            payload["caller_number"] = caller_number
        await self._record("/calls", payload)

    async def add_turn(
        self, call_id: str, turn: int, transcript: str, intent: str | None, bot_text: str,
        latency_ms: int | None,
    ) -> None:  # fmt: skip
        await self._record(
            f"/calls/{call_id}/turns",
            {"turn": turn, "transcript": transcript[:4000], "intent": intent,
             "bot_text": bot_text[:4000], "latency_ms": latency_ms},
        )  # fmt: skip

    async def end_call(self, call_id: str, outcome: str) -> None:
        await self._record(f"/calls/{call_id}/end", {"outcome": outcome})

    @property
    def lease_s(self) -> float:
        """How long a claimed row is ours: longer than one send can take."""
        return 2 * self._timeout_s + 5.0

    async def create_handoff(
        self,
        conversation_id: str,
        reason: str,
        phone: str | None,
        last_message: str,
        danger: str | None = None,
    ) -> FiledHandoff:
        """Files the handoff for the caller's conversation (`call:…`, the session's own id),
        write-ahead: stored in the outbox, then sent once. An emergency says the kind of
        danger (`common.labels.DANGER`), which the worker on duty reads first."""
        payload: dict[str, Any] = {
            "channel": "voice", "sender_id": conversation_id, "reason": reason,
            "last_message": last_message[:4000],
        }  # fmt: skip
        if danger in labels.DANGER:
            payload["danger"] = danger
        if phone:
            payload["phone"] = phone
        # One key per handoff, kept with the row: every resend of it is the same request.
        key = f"voice-handoff:{uuid.uuid4()}"
        what = f"{reason} handoff for {conversation_id}"
        return await self._write_ahead("/handoffs", payload, key, what)

    async def claim_outbound_calls(self, *, claimer: str, limit: int, lease_s: int) -> list[Any]:
        """Calls of the backend's call plans to place now, leased to this bridge."""
        body = await self.send(
            "/outbound-calls/claim", {"claimer": claimer, "limit": limit, "lease_s": lease_s}, None
        )
        return list(body) if isinstance(body, list) else []

    async def report_outbound_call(self, call_id: int, result: dict[str, Any]) -> FiledHandoff:
        """What a placed call found, write-ahead: a result the backend did not take waits in the
        outbox (the backend escalates from it, so it must not be lost) and is sent once."""
        path = f"/outbound-calls/{call_id}/result"
        return await self._write_ahead(path, result, f"outbound-result:{call_id}", path)

    async def _write_ahead(
        self, path: str, payload: dict[str, Any], key: str, what: str
    ) -> FiledHandoff:
        try:
            row_id: int | None = self.outbox.add(path, payload, key, lease_s=self.lease_s)
        except OutboxUnavailableError:
            log.exception("voice outbox unavailable: sending the %s without a copy", what)
            row_id = None
        try:
            body = await self.send(path, payload, key)
        except RejectedWriteError as error:
            # Never accepted as it is: a dead letter the worker console shows.
            log.error("%s refused: %s", what, error)
            if row_id is not None:
                self._settle(
                    partial(
                        self.outbox.dead_letter,
                        row_id,
                        status_code=error.status_code,
                        detail=error.detail,
                    )
                )
                wake_outbox_flusher()  # reports it
            return FiledHandoff(accepted=False, kept=False)
        except BackendUnreachableError as error:
            log.error("%s waits in the outbox: %s", what, error)
            if row_id is not None:
                self._settle(partial(self.outbox.retry_later, row_id, str(error), backoff=False))
            return FiledHandoff(accepted=False, kept=row_id is not None)
        if row_id is not None:
            self._settle(partial(self.outbox.delivered, row_id))
        wake_outbox_flusher()  # the backend answers: what waits may go now
        number = body.get("number") if isinstance(body, dict) else None
        return FiledHandoff(accepted=True, kept=False, number=str(number) if number else None)

    @staticmethod
    def _settle(step: Callable[[], object]) -> None:
        """Outbox bookkeeping after the send: if the file fails now, the row stays claimed
        and the flusher resends it once its lease ends (same key, so never filed twice); the
        caller is still told what the backend said."""
        try:
            step()
        except OutboxUnavailableError:
            log.exception("voice outbox bookkeeping failed; the row is resent after its lease")

    async def flush_outbox(self, limit: int = 50) -> int:
        """Send what waits in the outbox and report dead letters; how many rows left it."""
        return await deliver_due(self.outbox, self.send, limit=limit, lease_s=self.lease_s)

    async def aclose(self) -> None:
        await self._http.aclose()
