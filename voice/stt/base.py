"""What every speech-recognition engine offers the call session."""

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass
class AsrStats:
    """Work done by one call's recognizer, for the real-time factor and the stage timings."""

    audio_s: float = 0.0
    busy_s: float = 0.0  # time spent decoding in worker threads
    last_final_ms: float = 0.0  # from `finish()` being called to its result


class CallRecognizer(ABC):
    """One caller's utterances, one at a time. Decoding runs in the engine's worker threads."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self._executor = executor
        self.stats = AsrStats()
        self.partial_text = ""

    async def _run(self, function: Callable[[], T]) -> T:
        def timed() -> T:
            started = time.perf_counter()
            try:
                return function()
            finally:
                self.stats.busy_s += time.perf_counter() - started

        return await asyncio.get_running_loop().run_in_executor(self._executor, timed)

    @abstractmethod
    def accept(self, pcm: bytes, voiced: bool = True) -> None:
        """More audio of the current utterance (16 kHz PCM); returns at once. `voiced` is the
        voice-activity detector's word on it."""

    def end_may_be_near(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """The caller has gone quiet: an engine may start decoding what it has."""

    @abstractmethod
    async def finish(self) -> str:
        """The final transcript of the current utterance; the recognizer is then ready for the
        next one."""

    @abstractmethod
    def cancel(self) -> None:
        """Drop the current utterance (it was noise, or the call ended)."""


class SpeechRecognizer(ABC):
    """An engine with its model loaded once per process."""

    name: str

    @abstractmethod
    def new_recognizer(self) -> CallRecognizer:
        """A recognizer for one call."""
