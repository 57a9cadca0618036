"""Telegram front settings, read from the environment (prefix ``LINLI_TELEGRAM_``) or
``var/linli.env`` (the pattern every process follows: `common/settings.py`)."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common.settings import (
    BACKEND_TIMEOUT_S,
    BACKEND_URL,
    ENV_FILE,
    PROJECT_ROOT,
    RASA_TIMEOUT_S,
    RASA_URL,
)


class TelegramSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LINLI_TELEGRAM_", env_file=ENV_FILE, extra="ignore"
    )

    # From BotFather. Without it the front does not start.
    token: SecretStr | None = None
    # Only for tests and self-hosted Bot API servers.
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"

    rasa_url: str = RASA_URL
    # The Telegram front's own key to Rasa's REST channel (its conversations are `tg:…`).
    rasa_key: SecretStr = SecretStr("")
    rasa_timeout_s: float = RASA_TIMEOUT_S
    backend_url: str = BACKEND_URL
    # The Telegram front's own backend key (X-API-Key): livestream follow-ups and phone links
    # for `tg:` chats, nothing else. `make run` writes one to var/linli.env.
    backend_api_key: SecretStr = SecretStr("")
    backend_timeout_s: float = BACKEND_TIMEOUT_S

    # polling: no public address needed; webhook: Telegram posts updates to `webhook_url`.
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None  # the public HTTPS address, e.g. https://bot.example.org/tg
    webhook_listen: str = "127.0.0.1"  # a reverse proxy terminates HTTPS in front of it
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; other requests get 403.
    webhook_secret: SecretStr | None = None

    # Telegram user ids (numbers) allowed to use livestream host mode: "123,456" or "[123,456]".
    host_user_ids: Annotated[list[int], NoDecode] = []
    # Forwarded messages arriving this close together are one batch.
    batch_window_s: float = Field(default=2.0, gt=0, le=30)

    # Voice notes: which speech-in engine (Whisper understands Mandarin; the Vosk model on
    # PyPI is Korean). Models, speech-out engines and the prompt cache come from LINLI_VOICE_*.
    stt_engine: Literal["vosk", "whisper"] = "whisper"
    max_voice_note_s: int = Field(default=60, ge=1, le=600)

    # Chat state (voice replies on/off, host mode, follow-up buttons) survives restarts here.
    persistence_path: Path = PROJECT_ROOT / "var" / "telegram" / "state.pickle"

    @field_validator("host_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.strip("[] ").replace(",", " ").split() if part]
        if isinstance(value, int):
            return [value]
        return value
