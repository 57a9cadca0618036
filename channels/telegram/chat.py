"""Residents chatting: text goes to Rasa, and Rasa's answers come back as messages (cut to
Telegram's length), photos and inline buttons; a pressed button sends its payload to Rasa."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from channels.telegram import messages
from channels.telegram.host import HostMode
from channels.telegram.services import Context, Services, sender_id
from common.rasa_client import Button, RasaMessage

log = logging.getLogger(__name__)

Speak = Callable[[Chat, str], Awaitable[None]]


@dataclass(frozen=True)
class RasaChoice:
    """A Rasa button's callback data (arbitrary callback data: PTB keeps it and sends Telegram
    a key). Pickled into the persistence file, so a button pressed after a restart still works:
    renaming or moving this class makes the buttons of a running bot invalid."""

    payload: str


def keyboard(buttons: list[Button]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button.title or button.payload, callback_data=RasaChoice(button.payload)
                )
            ]
            for button in buttons
        ]
    )


async def show(chat: Chat, reply: RasaMessage) -> None:
    """One Rasa message: its image, its text in parts, the buttons under the last part."""
    markup = keyboard(reply.buttons) if reply.buttons else None
    if reply.image:
        await chat.send_photo(reply.image)
    parts = messages.split_message(reply.text) if reply.text else []
    if not parts and markup is not None:
        parts = [messages.CHOOSE]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await chat.send_message(part, reply_markup=markup if last else None)


class ChatRelay:
    def __init__(self, services: Services, host: HostMode, speak: Speak) -> None:
        self.services = services
        self.host = host
        self.speak = speak

    async def text(self, update: Update, context: Context) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or message.text is None:
            return
        if self.services.in_host_mode(update, context):
            await self.host.gather_message(update, message, context)
            return
        if len(message.text) > messages.MAX_RELAYED_CHARS:
            await message.reply_text(messages.TOO_LONG)
            return
        await self.relay(chat, message.text, context)

    async def relay(self, chat: Chat, text: str, context: Context) -> None:
        """Ask Rasa and show its answer: text, buttons, images, and a voice note if wanted."""
        await chat.send_action(ChatAction.TYPING)
        replies = await self.services.rasa.send(sender_id(chat), text)
        for reply in replies:
            await show(chat, reply)
        spoken = "\n".join(reply.text for reply in replies if reply.text)
        if spoken and context.chat_data and context.chat_data.get("voice_replies"):
            await self.speak(chat, spoken)

    async def choice(self, update: Update, context: Context) -> None:
        """A Rasa button pressed: its payload goes to Rasa as if typed."""
        query, chat = update.callback_query, update.effective_chat
        choice: object = query.data if query is not None else None
        if query is None or chat is None or not isinstance(choice, RasaChoice):
            return
        await query.answer()
        # The choice is made: the keyboard and its data go, so an old menu is not pressed again.
        context.drop_callback_data(query)
        if isinstance(query.message, Message):
            try:
                await query.message.edit_reply_markup(reply_markup=None)
            except TelegramError as error:
                log.info("could not remove a keyboard: %s", error)
        await self.relay(chat, choice.payload, context)
