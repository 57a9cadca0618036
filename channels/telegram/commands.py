"""/start and /help (also the answer to a command the front does not know), the command menu,
and what the front says to updates it does not relay: stickers and photos, edits, groups."""

from telegram import BotCommand, Chat, Update

from channels.telegram import messages
from channels.telegram.services import AnyApplication, Context, Services

# The menu Telegram shows next to the text field (/host is for hosts only: not listed).
MENU = [
    BotCommand("start", "开始"),
    BotCommand("help", "使用说明"),
    BotCommand("voice", "语音回复 on/off"),
    BotCommand("bind", "绑定手机号"),
]


async def set_menu(application: AnyApplication) -> None:
    await application.bot.set_my_commands(MENU)


class Commands:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def start(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        text = messages.START + (messages.HOST_HELP if self.services.is_host(update) else "")
        await message.reply_text(text)

    async def help(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        text = messages.HELP + (messages.HOST_HELP if self.services.is_host(update) else "")
        await message.reply_text(text)


async def unsupported(update: Update, context: Context) -> None:
    """Stickers, photos, files, locations: say what works instead of staying silent."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(messages.NOT_UNDERSTOOD_KIND)


async def edited(update: Update, context: Context) -> None:
    message = update.edited_message
    if message is not None and message.chat.type == Chat.PRIVATE:
        await message.reply_text(messages.EDITED)


async def group_message(update: Update, context: Context) -> None:
    """In groups the front answers only commands, pointing to a private chat."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(messages.GROUP_ONLY_PRIVATE)
