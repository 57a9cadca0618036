"""Backend settings, read from the environment (prefix ``LINLI_API_``) or ``var/linli.env``
(the pattern every process follows: `common/settings.py`)."""

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import ENV_FILE, PROJECT_ROOT, RASA_TIMEOUT_S, RASA_URL, TIMEZONE


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LINLI_API_",
        env_file=ENV_FILE,
        extra="ignore",
    )

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'linli.db'}"
    # Signs staff JWTs. `make run` writes a random one into var/linli.env.
    secret_key: SecretStr = Field(min_length=32)
    access_token_minutes: int = 8 * 60
    # The embedded default staff account and the action server's API key; seeded at start-up
    # when set, so a fresh install has someone who can log in and a bot that can write cases.
    first_staff_username: str | None = None
    first_staff_password: SecretStr | None = None
    action_server_api_key: SecretStr | None = None
    default_region: str = "盐城市"
    # Fernet key (urlsafe base64, 32 bytes) that encrypts ID numbers at rest; `make run` writes
    # one into var/linli.env. Without it the backend refuses to store ID numbers.
    id_number_key: SecretStr | None = None
    # The web consoles: the host console asks Rasa (REST channel and HTTP API) for answers,
    # and dates are shown and "today" is counted in the workers' time zone.
    rasa_url: str = RASA_URL
    rasa_timeout_s: float = RASA_TIMEOUT_S
    console_timezone: str = TIMEZONE


@lru_cache
def get_settings() -> ApiSettings:
    return ApiSettings()
