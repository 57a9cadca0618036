"""A real `linli-voice-serve` process (AudioSocket and WebSocket) in front of the real stack."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import httpx
import pytest
from faster_whisper import WhisperModel
from opencc import OpenCC

from testsupport.servers import APP_PYTHON, Stack, free_port, running
from testsupport.voice_server import serve_env
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
    env = serve_env(
        stack, human_line=server.human_line, audiosocket_port=server.audiosocket_port,
        audiosocket_control_port=server.control_port, websocket_port=server.websocket_port,
        # Short limits, so the wire tests see vanished and slow peers dropped in seconds.
        telephony_start_timeout_s=2, telephony_idle_timeout_s=3, telephony_send_timeout_s=1,
    )  # fmt: skip
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
