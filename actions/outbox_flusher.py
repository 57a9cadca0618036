"""The outbox's background flusher: a task the action server starts with itself.

It sends what is due every `outbox_flush_interval_s`, sooner when an action's write just
succeeded (`wake_outbox_flusher`), and backs off while the backend stays unreachable. Rows
are claimed (`Outbox.claim`), so several flushers, in this process or another, never send the
same row.
"""

import logging

from actions.backend import BackendClient
from actions.settings import ActionSettings
from common.outbox import Outbox, rotate_at_start, run_flusher

log = logging.getLogger(__name__)

BATCH = 50


async def run_outbox_flusher(settings: ActionSettings) -> None:
    """Flush forever (until cancelled); never raises (`common.outbox.run_flusher`)."""
    rotate_at_start(Outbox(settings.outbox_path, keys=settings.outbox_key.get_secret_value()))

    async def flush_round() -> int:
        async with BackendClient(settings) as backend:
            return await backend.flush_outbox(limit=BATCH)

    await run_flusher(flush_round, interval_s=settings.outbox_flush_interval_s, batch=BATCH)
