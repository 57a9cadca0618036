"""What every feature of the front shares: the settings, the speech engines, and one HTTP client
(opened in post_init, closed in post_shutdown) for Rasa and the backend."""

from typing import Any

import httpx
from telegram import Chat, Update
from telegram.ext import Application, ContextTypes

from channels.telegram.backend_client import BackendClient
from channels.telegram.settings import TelegramSettings
from common.rasa_client import RasaClient
from voice.clips import VoiceClips

Context = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def sender_id(chat: Chat) -> str:
    """The Rasa conversation of a chat: the Telegram chat id."""
    return str(chat.id)


class Services:
    def __init__(self, settings: TelegramSettings, voice: VoiceClips) -> None:
        self.settings = settings
        self.voice = voice
        self._http: httpx.AsyncClient | None = None
        self._rasa: RasaClient | None = None

    async def open(self) -> None:
        self._http = httpx.AsyncClient()

    async def close(self) -> None:
        self._rasa = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("The HTTP client opens in post_init; the application is not up")
        return self._http

    @property
    def rasa(self) -> RasaClient:
        """One client for the front's life: it remembers each chat's last intent (the REST
        channel answers it with the reply)."""
        if self._rasa is None:
            self._rasa = RasaClient(
                self.settings.rasa_url,
                front_key=self.settings.rasa_key.get_secret_value(),
                timeout_s=self.settings.rasa_timeout_s,
                http=self.http,
            )
        return self._rasa

    @property
    def backend(self) -> BackendClient:
        return BackendClient(
            self.http,
            self.settings.backend_url,
            self.settings.backend_api_key.get_secret_value(),
            self.settings.backend_timeout_s,
        )

    def is_host(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.settings.host_user_ids

    def in_host_mode(self, update: Update, context: Context) -> bool:
        """A livestream host who turned host mode on: their messages are viewers' questions."""
        return self.is_host(update) and bool(
            context.chat_data and context.chat_data.get("host_mode")
        )
