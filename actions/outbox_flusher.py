"""The outbox's background flusher: a task the action server starts with itself.

It sends what is due every `outbox_flush_interval_s`, sooner when an action's write just
succeeded (`wake_outbox_flusher`), and backs off while the backend stays unreachable. Rows
are claimed (`Outbox.claim`), so several flushers, in this process or another, never send the
same row.
"""

import asyncio
import contextlib
import logging

from actions.backend import BackendClient
from actions.outbox import MAX_RETRY_S, Outbox, OutboxUnavailableError, flusher_wake_ups
from actions.settings import ActionSettings

log = logging.getLogger(__name__)

BATCH = 50


async def run_outbox_flusher(settings: ActionSettings) -> None:
    """Flush forever (until cancelled); never raises, so the flusher cannot die of a bad row."""
    wake_up = asyncio.Event()
    flusher_wake_ups.add(wake_up)
    try:
        outbox = Outbox(settings.outbox_path, keys=settings.outbox_key.get_secret_value())
        try:
            rotated = outbox.rotate_keys()
            if rotated:
                log.info("outbox: %d payloads re-encrypted with the newest key", rotated)
        except Exception:  # an undecryptable row is reported when it is claimed
            log.exception("outbox: key rotation at start failed")
        idle_rounds = 0
        while True:
            done = 0
            try:
                async with BackendClient(settings) as backend:
                    done = await backend.flush_outbox(limit=BATCH)
                idle_rounds = 0
            except OutboxUnavailableError:
                log.exception("outbox: cannot open the outbox file")
                idle_rounds += 1
            except Exception:
                log.exception("outbox: flush round failed")
                idle_rounds += 1
            if done >= BATCH:
                continue  # more may be due right now
            pause = min(MAX_RETRY_S, settings.outbox_flush_interval_s * 2**idle_rounds)
            wake_up.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake_up.wait(), timeout=pause)
    finally:
        flusher_wake_ups.discard(wake_up)
