"""Action server settings, read from the environment (prefix ``LINLI_ACTIONS_``).

The action server lives in the Rasa virtualenv, whose pydantic is pinned to 1.x by Rasa, so
this is a plain dataclass rather than a pydantic-settings class like the backend's.
"""

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ActionSettings:
    backend_url: str
    backend_api_key: str
    backend_timeout_s: float
    timezone: str
    # Requests the backend could not take yet wait here and are re-sent on the next call.
    outbox_path: Path

    @classmethod
    def from_env(cls) -> "ActionSettings":
        env = os.environ
        return cls(
            backend_url=env.get("LINLI_ACTIONS_BACKEND_URL", "http://127.0.0.1:8000").rstrip("/"),
            backend_api_key=env.get("LINLI_ACTIONS_BACKEND_API_KEY", ""),
            backend_timeout_s=float(env.get("LINLI_ACTIONS_BACKEND_TIMEOUT_S", "5")),
            timezone=env.get("LINLI_ACTIONS_TIMEZONE", "Asia/Shanghai"),
            outbox_path=Path(
                env.get("LINLI_ACTIONS_OUTBOX_PATH", str(PROJECT_ROOT / "var" / "outbox.db"))
            ),
        )


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings.from_env()
