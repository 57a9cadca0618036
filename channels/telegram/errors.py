"""What the front does when something goes wrong: the global error handler apologises in the
chat, and a button whose data is no longer kept asks the resident to type instead."""

import logging

from telegram import Message, Update
from telegram.error import TelegramError

from channels.telegram import messages
from channels.telegram.services import Context

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Every uncaught error of a handler, and of a task started with `create_task`."""
    log.error("handling an update failed: %r", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, messages.SORRY)
        except TelegramError as error:
            log.error("could not apologise to chat %s: %s", update.effective_chat.id, error)


async def invalid_button(update: Update, context: Context) -> None:
    """A button whose callback data PTB no longer keeps (`InvalidCallbackData`): too old for
    the cache, already used, or from a version of the front before arbitrary callback data."""
    query = update.callback_query
    if query is None:
        return
    await query.answer(messages.BUTTON_INVALID, show_alert=True)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except TelegramError as error:
            log.info("could not remove an invalid keyboard: %s", error)
