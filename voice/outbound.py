"""Placing the calls of the backend's call plans (issue 18).

The schedule lives in the backend's database, not here: every `outbound_poll_s` this bridge
claims the calls due now (`POST /outbound-calls/claim`, leased to it, one claimant per call
however many bridges run), dials each through its `Dialer`, runs the call as a `CallSession`
opened by Rasa's outbound dialogue, and reports what it found write-ahead (the outbox keeps a
result the backend could not take). A bridge that stops mid-call leaves the call leased; the
backend offers it again once the lease ends. The backend decides retries, escalation, quiet
hours and lateness.
"""

import asyncio
import logging
from typing import Protocol

from voice.backend_client import BackendUnreachableError
from voice.call.plan import PlannedCall
from voice.services import VoiceServices
from voice.session import CallSession
from voice.transports.base import Transport

log = logging.getLogger(__name__)


class Dialer(Protocol):
    def ready(self) -> bool:
        """Whether a call can be placed now (registered, a gateway connected, logged in)."""

    async def dial(self, call: PlannedCall) -> Transport | str:
        """The answered line, or why nobody answered ("rang out", "busy" …)."""


class OutboundCaller:
    def __init__(self, services: VoiceServices, dialer: Dialer) -> None:
        self.services = services
        self.settings = services.settings
        self.dialer = dialer
        self.calls: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Claims and places calls until cancelled."""
        while True:
            try:
                await self.poll_once()
            except BackendUnreachableError as error:
                log.warning("outbound: cannot claim calls: %s", error)
            except Exception:
                log.exception("outbound: claiming calls failed")
            await asyncio.sleep(self.settings.outbound_poll_s)

    async def poll_once(self) -> int:
        """Claims what this bridge has room for and starts placing it; how many."""
        room = self.settings.outbound_max_calls - len(self.calls)
        if room <= 0 or not self.dialer.ready():
            return 0  # a call claimed now could not be placed: it stays for another bridge
        claimed = await self.services.backend.claim_outbound_calls(
            claimer=self.settings.outbound_claimer,
            limit=room,
            lease_s=self.settings.outbound_lease_s,
        )
        for data in claimed:
            task = asyncio.create_task(self._place(data), name=f"outbound-{data.get('number')}")
            self.calls.add(task)
            task.add_done_callback(self.calls.discard)
        return len(claimed)

    async def _place(self, data: dict[str, object]) -> None:
        call = PlannedCall.from_claim(data)
        if call is None:
            # Reported as unanswered: the backend retries and escalates as for any unreached
            # resident, so a missing phone reaches a worker.
            await self._report(int(str(data["id"])), {"answered": False, "note": "没有电话号码"})
            return
        result = await self.call(call)
        if result is None:
            # Our side failed, not the resident: nothing is reported (that would spend one of
            # their tries); the lease runs out, the call is offered again, and the backend
            # tells the workers if it gets late.
            return
        await self._report(call.id, result)

    async def call(self, call: PlannedCall) -> dict[str, object] | None:
        """Dials and runs the call; what it found, as the backend takes it (None: the call
        could not be placed on our side)."""
        log.warning("outbound: placing %s (%s, try %d)", call.number, call.purpose, call.try_number)
        try:
            line = await self.dialer.dial(call)
        except Exception:
            log.exception("outbound: dialling %s failed on our side", call.number)
            return None
        if isinstance(line, str):
            return {"answered": False, "note": line}
        session = CallSession(self.services, f"out-{call.number}", line.name, plan=call)
        try:
            await line.serve(session)
        except Exception:
            log.exception("outbound: call %s failed", call.number)
        finally:
            if session.outcome is None:
                await session.close("error", caller_gone=True)
                await line.hang_up()
        return session.findings.result()

    async def _report(self, call_id: int, result: dict[str, object]) -> None:
        filed = await self.services.backend.report_outbound_call(call_id, result)
        if not (filed.accepted or filed.kept):
            # Not the result itself: its note holds the resident's words.
            log.error("outbound: the result of call %d was refused", call_id)

    async def stop(self) -> None:
        """Calls in progress end as errors (their lease runs out and they are placed again)."""
        for task in list(self.calls):
            task.cancel()
        await asyncio.gather(*self.calls, return_exceptions=True)
