"""One `Application`: handlers, rate limiter, persistence, and polling or webhook serving."""

import logging
import signal
import sys
import time
from collections.abc import Sequence

from pydantic import ValidationError
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InvalidCallbackData,
    MessageHandler,
    PicklePersistence,
    filters,
)

from channels.telegram import commands, errors
from channels.telegram.binding import Binding
from channels.telegram.chat import ChatRelay, RasaChoice
from channels.telegram.host import FollowUp, HostMode
from channels.telegram.ordering import PerChatOrder
from channels.telegram.services import AnyApplication, Services
from channels.telegram.settings import TelegramSettings
from channels.telegram.voice_notes import Speaker, VoiceNotes
from voice.clips import VoiceClips

log = logging.getLogger("channels.telegram")

ExitCode = int
DEFAULT_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)
MISSING_TOKEN = 2
BAD_SETTINGS = 2
CONCURRENT_UPDATES = 16
FIRST_RETRY_S, LAST_RETRY_S = 5, 300
# Keyboards whose button data PTB keeps (least recently used go first); an older button
# answers that it no longer works and asks the resident to type.
KEPT_KEYBOARDS = 2000


def build_application(
    settings: TelegramSettings, voice: VoiceClips | None = None
) -> AnyApplication:
    if settings.token is None or not settings.token.get_secret_value().strip():
        raise ValueError("LINLI_TELEGRAM_TOKEN is not set")
    services = Services(settings, voice or VoiceClips(settings.stt_engine))

    async def post_init(application: AnyApplication) -> None:
        await services.open()
        await commands.set_menu(application)

    async def post_shutdown(application: AnyApplication) -> None:
        await services.close()

    settings.persistence_path.parent.mkdir(parents=True, exist_ok=True)
    application = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=2))
        # Buttons carry objects (a Rasa payload, a livestream group's follow-up): PTB keeps
        # them, sends Telegram a key, and the persistence keeps them across restarts.
        .arbitrary_callback_data(KEPT_KEYBOARDS)
        .persistence(PicklePersistence(settings.persistence_path, update_interval=5))
        # One slow Rasa answer or voice note holds up only its own chat.
        .concurrent_updates(PerChatOrder(CONCURRENT_UPDATES))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    add_handlers(application, services)
    return application


def add_handlers(application: AnyApplication, services: Services) -> None:
    """Every handler in one group: the first that matches an update handles it."""
    host = HostMode(services)
    chat = ChatRelay(services, host, Speaker(services.voice))
    voice = VoiceNotes(services, chat, host)
    menu = commands.Commands(services)
    binding = Binding(services)
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            CommandHandler("start", menu.start, filters=private),
            CommandHandler("help", menu.help, filters=private),
            CommandHandler("voice", voice.voice_replies, filters=private),
            CommandHandler("bind", binding.bind, filters=private),
            CommandHandler("host", host.command, filters=private),
            CommandHandler(["start", "help"], commands.group_message, filters=~private),
            CallbackQueryHandler(chat.choice, pattern=RasaChoice),
            CallbackQueryHandler(host.follow_up, pattern=FollowUp),
            CallbackQueryHandler(errors.invalid_button, pattern=InvalidCallbackData),
            MessageHandler(new_message & private & filters.CONTACT, binding.contact),
            MessageHandler(
                new_message & private & (filters.VOICE | filters.AUDIO), voice.voice_note
            ),
            MessageHandler(new_message & private & filters.TEXT & ~filters.COMMAND, chat.text),
            MessageHandler(filters.UpdateType.EDITED_MESSAGE, commands.edited),
            # Anything else a resident sends in private: a sticker, photo, file, location.
            MessageHandler(new_message & private & ~filters.COMMAND, commands.unsupported),
            # A command the front does not know (or a typo): say what it knows.
            MessageHandler(new_message & private & filters.COMMAND, menu.help),
        ]
    )
    application.add_error_handler(errors.on_error)


def main() -> ExitCode:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every getUpdates poll at INFO, with the token in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = TelegramSettings()
    except ValidationError as error:
        print(f"telegram: invalid LINLI_TELEGRAM_* settings:\n{error}", file=sys.stderr)
        return BAD_SETTINGS
    if settings.token is None or not settings.token.get_secret_value().strip():
        print(
            "telegram: LINLI_TELEGRAM_TOKEN is not set. Create a bot with @BotFather in "
            "Telegram, then put its token in var/linli.env or the environment.",
            file=sys.stderr,
        )
        return MISSING_TOKEN
    if settings.mode == "webhook" and not settings.webhook_url:
        print(
            "telegram: webhook mode needs LINLI_TELEGRAM_WEBHOOK_URL (https://…)", file=sys.stderr
        )
        return BAD_SETTINGS
    retry_s = FIRST_RETRY_S
    while True:
        try:
            serve(build_application(settings), settings)
            return 0
        except InvalidToken:
            print(
                "telegram: Telegram refused LINLI_TELEGRAM_TOKEN (revoked or mistyped?). "
                "Check it with @BotFather (/mybots → API Token).",
                file=sys.stderr,
            )
            return BAD_SETTINGS
        except NetworkError as error:
            # Telegram unreachable at start: wait rather than exit, since honcho would stop
            # the whole assistant with it. (Once running, PTB retries polling by itself.)
            log.error("cannot reach Telegram (%s); trying again in %d s", error, retry_s)
            time.sleep(retry_s)
            retry_s = min(retry_s * 2, LAST_RETRY_S)


def serve(
    application: AnyApplication,
    settings: TelegramSettings,
    stop_signals: Sequence[int] | None = DEFAULT_STOP_SIGNALS,
) -> None:
    """Run until stopped (a signal, or `application.stop_running()`), by webhook or polling."""
    if settings.mode == "webhook":
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        if not secret:
            log.warning(
                "webhook mode without LINLI_TELEGRAM_WEBHOOK_SECRET: anyone can post updates"
            )
        log.info(
            "webhook mode: listening on %s:%d/%s",
            settings.webhook_listen, settings.webhook_port, settings.webhook_path,
        )  # fmt: skip
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            stop_signals=stop_signals,
            close_loop=False,
        )
    else:
        log.info("polling mode")
        application.run_polling(
            allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals, close_loop=False
        )
