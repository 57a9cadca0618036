"""A real `linli-voice-serve` process (AudioSocket and WebSocket) in front of the real stack.
Fixtures only; what test modules import is in `tests.voice.transports.support`."""

from collections.abc import Iterator

import pytest
from faster_whisper import WhisperModel

from tests.voice.transports.sip_network import kamailio_registrar, network_namespace
from testsupport.servers import Stack
from testsupport.voice_server import VoiceServer
from testsupport.voice_server import voice_server as running_voice_server
from voice.settings import VoiceSettings


@pytest.fixture(scope="session")
def voice_server(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceServer]:
    with running_voice_server(
        stack, tmp_path_factory.mktemp("voice-serve"),
        # Short limits, so the wire tests see vanished and slow peers dropped in seconds.
        telephony_start_timeout_s=2, telephony_idle_timeout_s=3, telephony_send_timeout_s=1,
    ) as server:  # fmt: skip
        yield server


@pytest.fixture(scope="session")
def whisper() -> Iterator[WhisperModel]:
    yield WhisperModel(str(VoiceSettings().whisper_model_path), device="cpu", compute_type="int8")


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    """The SIP tests' network namespace (tests/voice/transports/sip_network.py; needs root)."""
    with network_namespace("sip") as name:
        yield name


@pytest.fixture(scope="module")
def kamailio(namespace: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with kamailio_registrar(tmp_path_factory.mktemp("kamailio")) as address:
        yield address
