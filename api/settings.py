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
    # Staff sessions (issue 14): API bearer tokens are short and renewed with a refresh token;
    # the console's cookie is renewed while the worker is active, up to a working day.
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    console_session_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    # Cookies get `Secure` when this is true, or when it is unset and the request came over
    # HTTPS (behind a TLS proxy: run uvicorn with --proxy-headers, or set this to true).
    secure_cookies: bool | None = None
    # Origins besides the console's own that may post its forms (e.g. the public
    # https://host when a proxy rewrites Host); each exactly scheme://host[:port].
    console_trusted_origins: list[str] = []
    # Failed staff logins allowed per account and per client address, in the `limits`
    # library's notation; the longer windows make the wait grow as failures go on. The
    # counters live in `login_throttle_storage` (memory://, or redis://host:6379 when several
    # backend processes share them).
    login_limits_per_user: str = "5/minute;20/hour;50/day"
    login_limits_per_address: str = "20/minute;100/hour;500/day"
    login_throttle_storage: str = "memory://"
    # Request bodies above this many bytes are refused with 413 before they are read (the API
    # takes JSON records and console forms; nothing uploads files).
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # The embedded default staff account and one API key per front (issue 14): seeded at
    # start-up when set, so a fresh install has someone who can log in and fronts that can
    # write. Each key opens only what its front needs (api/auth/fronts.py).
    first_staff_username: str | None = None
    first_staff_password: SecretStr | None = None
    action_server_api_key: SecretStr | None = None
    voice_api_key: SecretStr | None = None
    telegram_api_key: SecretStr | None = None
    wechat_api_key: SecretStr | None = None
    # A callback still not made this long after it was due alerts the workers on duty.
    callback_overdue_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # An outbound call no voice bridge placed this long into its calling hours is reported.
    outbound_late_minutes: int = Field(default=30, ge=1, le=24 * 60)
    default_region: str = "盐城市"
    # Fernet key (urlsafe base64, 32 bytes) that encrypts ID numbers at rest; `make run` writes
    # one into var/linli.env. Without it the backend refuses to store ID numbers.
    id_number_key: SecretStr | None = None
    # The web consoles: the host console asks Rasa (REST channel and HTTP API) for answers,
    # and dates are shown and "today" is counted in the workers' time zone.
    rasa_url: str = RASA_URL
    # The host console's own key to Rasa's REST channel (its conversations are `host:…`).
    rasa_key: SecretStr = SecretStr("")
    rasa_timeout_s: float = RASA_TIMEOUT_S
    console_timezone: str = TIMEZONE


@lru_cache
def get_settings() -> ApiSettings:
    return ApiSettings()
