"""Updates of different chats run concurrently; one chat's updates run in the order they came,
so a resident's second message never reaches Rasa before the first. An update delivered again
(Telegram retries a webhook it thinks failed; a restart re-reads unconfirmed ones) is answered
once: its `update_id` was seen."""

import asyncio
import inspect
import logging
import weakref
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# Recent update ids remembered; Telegram redelivers within minutes, far fewer updates than this.
SEEN_UPDATES_KEPT = 50_000
UNLIMITED = 2**31 - 1


class PerChatOrder(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        # PTB's own semaphore (taken before do_process_update) would let one chat's queued
        # updates fill every slot while they wait for that chat's lock, so other residents wait
        # too. Its limit is set out of the way; the real one is taken after the chat's lock.
        super().__init__(UNLIMITED)
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        # A chat's lock lives while one of its updates holds or waits for it.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._seen: OrderedDict[int, None] = OrderedDict()

    def _first_delivery(self, update: object) -> bool:
        if not isinstance(update, Update):
            return True
        if update.update_id in self._seen:
            return False
        self._seen[update.update_id] = None
        while len(self._seen) > SEEN_UPDATES_KEPT:
            self._seen.popitem(last=False)
        return True

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Checked and noted with no await in between: two copies arriving together are seen.
        if not self._first_delivery(update):
            log.info(
                "update %s delivered again: answered already", getattr(update, "update_id", "?")
            )
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            return
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        lock = self._locks.get(chat.id)
        if lock is None:
            lock = self._locks[chat.id] = asyncio.Lock()
        # The chat's turn first, a slot second: a chat whose updates queue behind each other
        # holds one slot, never all of them.
        async with lock, self._slots:
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
