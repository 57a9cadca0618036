"""Clauses synthesised ahead of time: every fixed bot response plays at once, and still plays
when every engine is down."""

import hashlib
import wave
from pathlib import Path

from voice.audio import SAMPLE_RATE


def cache_key(clause: str) -> str:
    return hashlib.sha256(clause.encode("utf-8")).hexdigest()[:24]


class PromptCache:
    """WAV files named by the hash of the clause they say; read into memory on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._memory: dict[str, bytes] = {}

    def _path(self, clause: str) -> Path:
        return self.directory / f"{cache_key(clause)}.wav"

    def get(self, clause: str) -> bytes | None:
        key = cache_key(clause)
        if key not in self._memory:
            path = self._path(clause)
            if not path.exists():
                return None
            with wave.open(str(path), "rb") as wav:
                self._memory[key] = wav.readframes(wav.getnframes())
        return self._memory[key]

    def __contains__(self, clause: str) -> bool:
        return cache_key(clause) in self._memory or self._path(clause).exists()

    def put(self, clause: str, pcm: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(clause)
        partial = path.with_suffix(".partial")
        with wave.open(str(partial), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(pcm)
        partial.replace(path)  # readers never see half a file
        self._memory[cache_key(clause)] = pcm
