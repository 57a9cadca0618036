"""channels/telegram/ordering.py: one chat's updates in order, other chats never held up by it."""

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from channels.telegram.ordering import PerChatOrder


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(id=chat_id, type=Chat.PRIVATE)
    return Update(
        update_id=update_id,
        message=Message(message_id=update_id, date=datetime.now(UTC), chat=chat, text="你好"),
    )


def test_a_busy_chat_never_takes_every_slot_from_other_chats() -> None:
    asyncio.run(busy_chat_and_another())


async def busy_chat_and_another() -> None:
    order = PerChatOrder(max_concurrent_updates=2)
    release = asyncio.Event()
    done: list[int] = []

    async def handle(update_id: int, wait: bool) -> None:
        if wait:
            await release.wait()
        done.append(update_id)

    # Chat 1 sends five messages while its first is still being answered.
    busy = [
        asyncio.create_task(order.process_update(update(n, 1), handle(n, wait=True)))
        for n in range(1, 6)
    ]
    other = asyncio.create_task(order.process_update(update(99, 2), handle(99, wait=False)))
    async with asyncio.timeout(2):
        await other
    assert done == [99]
    release.set()
    async with asyncio.timeout(2):
        await asyncio.gather(*busy)
    assert done == [99, 1, 2, 3, 4, 5]
