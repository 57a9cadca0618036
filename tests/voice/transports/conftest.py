"""A real `linli-voice-serve` process (AudioSocket and WebSocket) in front of the real stack.
Fixtures only; what test modules import is in `tests.voice.transports.support`."""

from collections.abc import Iterator

import pytest
from faster_whisper import WhisperModel

from tests.voice.transports.support import VoiceServer
from testsupport.servers import APP_PYTHON, Stack, free_port, running
from testsupport.voice_server import serve_env
from voice.settings import VoiceSettings


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
