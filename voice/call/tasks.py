"""A call's background tasks: kept referenced until done, failures logged with the call id,
cancelled together when the call ends."""

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

log = logging.getLogger(__name__)

# What the parts of a call are given to start background work: `CallTasks.spawn`.
Spawn = Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]]


class CallTasks:
    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # keep a reference until done, or the task may be collected
        task.add_done_callback(self._done)
        return task

    def cancel_all(self, keep: Iterable[asyncio.Task[Any]] = ()) -> None:
        """Cancel every task but the current one and those in `keep`."""
        kept = {asyncio.current_task(), *keep}
        for task in list(self._tasks):
            if task not in kept:
                task.cancel()

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: %r", self.call_id, task.exception(), exc_info=task.exception())
