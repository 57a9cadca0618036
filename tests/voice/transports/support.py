"""What the wire tests share besides fixtures: the server's addresses, what a listener on the
line hears, the call record, and waiting for what the bot sends instead of sleeping."""

import asyncio
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any, TypeVar

import httpx
from faster_whisper import WhisperModel
from opencc import OpenCC

from testsupport.callers import Caller, Heard
from voice.audio import RateConverter, pcm_to_float
from voice.settings import VoiceSettings


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
    """The call's record once it has ended. The server writes it to the backend just after
    the hang-up, and the backend tells no one: asked again until it is there (15 s at most)."""
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


class WatchedHeard(Heard):
    """What a caller heard, waking whoever waits for it when a frame arrives or the line
    closes: tests wait for what the bot does, not for a number of seconds."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self._hung_up = False
        super().__init__()

    @property
    def hung_up(self) -> bool:
        return self._hung_up

    @hung_up.setter
    def hung_up(self, value: bool) -> None:
        self._hung_up = value
        self._changed.set()

    def add_audio(self, pcm: bytes, gap_s: float) -> None:
        super().add_audio(pcm, gap_s)
        self._changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Until `condition` holds (True) or the line closes or `timeout` passes (False)."""
        try:
            async with asyncio.timeout(timeout):
                while not condition() and not self.hung_up:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pass
        return condition()


C = TypeVar("C", bound=Caller)


def watched(caller: C) -> C:
    """`caller`, its reading side waking `bot_has_spoken` and `line_closed` waiters."""
    caller.heard = WatchedHeard()
    return caller


def _watched(caller: Caller) -> WatchedHeard:
    assert isinstance(caller.heard, WatchedHeard), "create the caller with watched(...)"
    return caller.heard


async def bot_has_spoken(caller: Caller, seconds: float = 0.0, timeout: float = 30.0) -> bool:
    """Until the bot's first audio frame has arrived (the call is up and its greeting playing),
    or, with `seconds`, that much of its speech: it streams at real time, so the greeting has
    been playing that long."""
    heard = _watched(caller)
    needed = max(1, int(seconds * caller.line_rate) * 2)
    return await heard.until(lambda: sum(len(r.pcm) for r in heard.replies) >= needed, timeout)


async def line_closed(caller: Caller, timeout: float = 30.0) -> bool:
    """Until the bot hangs up or the connection closes."""
    heard = _watched(caller)
    return await heard.until(lambda: heard.hung_up, timeout)
