"""What every part of the WeChat front shares: settings, the shared state, one HTTP client for
Rasa and the backend (opened at start, closed at the end), the WeChat API and speech."""

import httpx

from channels.wechat.backend_client import BackendClient
from channels.wechat.settings import WechatSettings
from channels.wechat.state import SharedState
from channels.wechat.tokens import OfficialAccountClient
from channels.wechat.wechat_api import OfficialAccount
from common.fronts import Front, namespaced
from common.rasa_client import RasaClient
from voice.clips import VoiceClips

WECHAT_TIMEOUT_S = 10


def sender_id(openid: str) -> str:
    """The Rasa conversation of a WeChat user (the REST channel would prefix it anyway)."""
    return namespaced(Front.wechat, openid)


class Services:
    def __init__(
        self,
        settings: WechatSettings,
        state: SharedState,
        http: httpx.AsyncClient,
        voice: VoiceClips,
    ) -> None:
        self.settings = settings
        self.state = state
        self.voice = voice
        self.rasa = RasaClient(
            settings.rasa_url,
            front_key=settings.rasa_key.get_secret_value(),
            timeout_s=settings.rasa_timeout_s,
            http=http,
        )
        self.backend = BackendClient(
            http,
            base_url=settings.backend_url,
            api_key=settings.backend_api_key.get_secret_value(),
            timeout_s=settings.backend_timeout_s,
        )
        secret = settings.app_secret.get_secret_value() if settings.app_secret else ""
        self.account = OfficialAccount(
            OfficialAccountClient(
                app_id=settings.app_id,
                secret=secret,
                state=state,
                base_url=settings.api_base_url,
                timeout_s=WECHAT_TIMEOUT_S,
            )
        )
