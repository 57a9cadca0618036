"""One `Application`: handlers, rate limiter, persistence, and polling or webhook serving."""

import logging
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)

from channels.telegram.handlers import TelegramFront
from channels.telegram.ordering import PerChatOrder
from channels.telegram.settings import TelegramSettings
from voice.clips import VoiceClips

log = logging.getLogger("channels.telegram")

ExitCode = int
DEFAULT_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)
MISSING_TOKEN = 2
BAD_SETTINGS = 2
CONCURRENT_UPDATES = 16
FIRST_RETRY_S, LAST_RETRY_S = 5, 300


def build_application(
    settings: TelegramSettings, voice: VoiceClips | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    if settings.token is None or not settings.token.get_secret_value().strip():
        raise ValueError("LINLI_TELEGRAM_TOKEN is not set")
    front = TelegramFront(settings, voice or VoiceClips(settings.stt_engine))
    settings.persistence_path.parent.mkdir(parents=True, exist_ok=True)
    application = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=2))
        .persistence(PicklePersistence(settings.persistence_path, update_interval=5))
        # One slow Rasa answer or voice note holds up only its own chat.
        .concurrent_updates(PerChatOrder(CONCURRENT_UPDATES))
        .post_init(front.open)
        .post_shutdown(front.close)
        .build()
    )
    add_handlers(application, front)
    return application


def add_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], front: TelegramFront
) -> None:
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            CommandHandler("start", front.start, filters=private),
            CommandHandler("help", front.help, filters=private),
            CommandHandler("voice", front.voice_replies, filters=private),
            CommandHandler("bind", front.bind, filters=private),
            CommandHandler("host", front.host_mode, filters=private),
            CommandHandler(["start", "help"], front.group_message, filters=~private),
            CallbackQueryHandler(front.button),
            MessageHandler(new_message & private & filters.CONTACT, front.contact),
            MessageHandler(
                new_message & private & (filters.VOICE | filters.AUDIO), front.voice_note
            ),
            MessageHandler(new_message & private & filters.TEXT & ~filters.COMMAND, front.text),
            MessageHandler(filters.UpdateType.EDITED_MESSAGE, front.edited),
            # Anything else a resident sends in private: a sticker, photo, file, location.
            MessageHandler(new_message & private & ~filters.COMMAND, front.unsupported),
            # A command the front does not know (or a typo): say what it knows.
            MessageHandler(new_message & private & filters.COMMAND, front.help),
        ]
    )
    application.add_error_handler(front.on_error)


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
    application: Application[Any, Any, Any, Any, Any, Any],
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
