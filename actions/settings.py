"""Action server settings: environment variables prefixed ``LINLI_ACTIONS_``, then the shared env
file (`common.settings.ENV_FILE`), then the defaults every process shares (`common.settings`).

Rasa pins pydantic to 1.x in its virtualenv, so this is pydantic 1's `BaseSettings`; the other
processes use pydantic-settings, with the same prefix-and-env-file pattern.
"""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseSettings, SecretStr, validator

from common import settings as shared


class ActionSettings(BaseSettings):
    backend_url: str = shared.BACKEND_URL
    backend_api_key: SecretStr = SecretStr("")
    backend_timeout_s: float = shared.BACKEND_TIMEOUT_S
    timezone: str = shared.TIMEZONE
    # Requests the backend could not take yet wait here and are re-sent on the next call.
    outbox_path: Path = shared.PROJECT_ROOT / "var" / "outbox.db"
    # Fernet keys that encrypt the outbox's payloads, comma-separated, newest first (rotation:
    # put a new key in front; the action server re-encrypts every row with it when it starts).
    # `make run` writes one.
    outbox_key: SecretStr = SecretStr("")
    # The background flusher's pause between rounds when nothing is due (an action's
    # successful write wakes it earlier).
    outbox_flush_interval_s: float = 10.0
    # Where the action server listens, and the token only the Rasa server holds
    # (bot/endpoints.yml sends it); `make run` writes one to var/linli.env.
    host: str = "127.0.0.1"
    port: int = 5055
    server_token: SecretStr = SecretStr("")

    class Config:
        env_prefix = "LINLI_ACTIONS_"
        env_file = shared.ENV_FILE
        env_file_encoding = "utf-8"
        frozen = True

    @validator("backend_url")
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @validator("timezone")
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # an unknown zone fails here, at start-up, not in the first action
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
