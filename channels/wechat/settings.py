"""WeChat front settings, read from the environment (prefix ``LINLI_WECHAT_``) or
``var/linli.env`` (the pattern every process follows: `common/settings.py`).

Two halves, each on when its credentials are set: the Official Account (公众号) for residents,
and WeCom (企业微信) for the social workers' alerts."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import (
    BACKEND_TIMEOUT_S,
    BACKEND_URL,
    ENV_FILE,
    PROJECT_ROOT,
    RASA_TIMEOUT_S,
    RASA_URL,
)

CHANNEL_DIR = Path(__file__).resolve().parent


def _set(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value().strip())


class WechatSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINLI_WECHAT_", env_file=ENV_FILE, extra="ignore")

    # --- the Official Account (公众号 admin console → 设置与开发 → 基本配置)
    app_id: str = ""
    app_secret: SecretStr | None = None
    # 服务器配置: the Token that signs every callback, and the EncodingAESKey of safe mode.
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    # Only for tests and stand-ins: where wechatpy sends its API calls.
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"

    # The callback URL WeChat posts to (a reverse proxy terminates HTTPS in front of it).
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8088, ge=1, le=65535)
    callback_path: str = "/wechat"

    rasa_url: str = RASA_URL
    # The WeChat front's own key to Rasa's REST channel (its conversations are `wx:<openid>`).
    rasa_key: SecretStr = SecretStr("")
    rasa_timeout_s: float = RASA_TIMEOUT_S
    backend_url: str = BACKEND_URL
    # Its own backend key: phone links for `wx:` chats, and the notifications it sends.
    backend_api_key: SecretStr = SecretStr("")
    backend_timeout_s: float = BACKEND_TIMEOUT_S

    # WeChat waits 5 s for a callback's answer; an answer not ready by then comes through the
    # customer-service message API instead (客服消息).
    passive_window_s: float = Field(default=4.0, gt=0, le=4.8)
    # WeChat's limit on a text message is 2048 bytes of UTF-8; a little is left for safety.
    max_reply_bytes: int = Field(default=2000, ge=200, le=2048)
    # A message longer than this is more likely a paste by mistake than a question.
    max_relayed_chars: int = Field(default=2000, ge=100, le=10_000)
    # Callback bodies above this are refused before they are parsed.
    max_callback_bytes: int = Field(default=64 * 1024, ge=4096, le=1024 * 1024)

    # Where the access token, seen callbacks and each resident's chat state are shared by every
    # replica: a SQLite file (embedded default) or redis://… (the scaled profile).
    state_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'wechat' / 'state.db'}"

    # Voice messages: which speech-in engine (models and speech out from LINLI_VOICE_*).
    stt_engine: Literal["vosk", "whisper"] = "whisper"
    max_voice_s: int = Field(default=60, ge=1, le=600)

    # The custom menu (查政策 / 预约服务 / 我的办理进度 / 转人工), pushed by
    # `python -m channels.wechat menu`.
    menu_file: Path = CHANNEL_DIR / "menu.json"

    # Template messages (模板消息) to linked residents, by notice; unset: a customer-service
    # message instead (reaches them only within 48 hours of their last message).
    template_worker_assigned: str = ""
    template_booking_confirmed: str = ""
    template_application_decided: str = ""

    # --- WeCom (企业微信 admin → 应用管理 → the Linli app): alerts to the workers on duty
    wecom_corp_id: str = ""
    wecom_secret: SecretStr | None = None
    wecom_agent_id: int | None = None
    # Who gets the app message: WeCom user ids separated by "|" (WeCom's own form), or "@all".
    wecom_to_users: str = ""
    wecom_api_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    # Or (and) a group robot (群机器人) in the duty group: its webhook address.
    wecom_webhook_url: SecretStr | None = None
    # The worker console's address as workers open it, for the link in an alert.
    console_url: str = "http://127.0.0.1:8000"

    # How often the backend is asked for notices to send.
    notify_interval_s: float = Field(default=2.0, gt=0, le=300)
    # A notice WeChat or WeCom did not take is offered again after this, doubling each time.
    notify_retry_s: float = Field(default=15.0, gt=0, le=3600)

    @property
    def official_account(self) -> bool:
        """The 公众号 half is on: its callback is served."""
        return bool(self.app_id) and _set(self.app_secret) and _set(self.token)

    @property
    def safe_mode(self) -> bool:
        return _set(self.encoding_aes_key)

    @property
    def wecom_app(self) -> bool:
        return (
            bool(self.wecom_corp_id)
            and _set(self.wecom_secret)
            and bool(self.wecom_agent_id and self.wecom_to_users)
        )

    @property
    def wecom_robot(self) -> bool:
        return _set(self.wecom_webhook_url)

    @property
    def staff_alerts(self) -> bool:
        return self.wecom_app or self.wecom_robot
