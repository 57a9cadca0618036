"""/bind: a resident shares their own phone number (Telegram's contact button) and the backend
links this chat to the resident with that number, so their bookings and applications made by
phone or in person show up here."""

import logging

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from channels.telegram import messages
from channels.telegram.backend_client import BackendError
from channels.telegram.services import Context, Services, sender_id
from common.personal_numbers import mainland_mobile

log = logging.getLogger(__name__)


class Binding:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def bind(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(messages.BIND_BUTTON, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await message.reply_text(messages.BIND_CONSENT, reply_markup=keyboard)

    async def contact(self, update: Update, context: Context) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or user is None or message.contact is None:
            return
        shared = message.contact
        phone = mainland_mobile(shared.phone_number)
        # Only one's own number: a contact card of someone else says nothing about this chat.
        if shared.user_id != user.id or phone is None:
            await message.reply_text(messages.BIND_NOT_YOURS)
            return
        try:
            await self.services.backend.link_phone(
                sender_id(chat), phone, shared.first_name or None
            )
        except BackendError as error:
            log.error("linking chat %s to a resident failed: %s", chat.id, error)
            await message.reply_text(messages.BIND_FAILED, reply_markup=ReplyKeyboardRemove())
            return
        if context.chat_data is not None:
            context.chat_data["bound_phone_tail"] = phone[-4:]
        await message.reply_text(messages.BIND_DONE, reply_markup=ReplyKeyboardRemove())
