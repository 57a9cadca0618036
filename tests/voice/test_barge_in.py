"""Barge-in through the real transport loop: the caller talks over the greeting and the bot's
audio stops within 300 ms of the caller starting to speak."""

import asyncio
import time
from collections.abc import AsyncIterator

from tests.voice.support import hotline, offline_settings
from voice.audio import FRAME_MS, frames, read_audio_file, silence
from voice.services import VoiceServices
from voice.session import CallSession
from voice.transports.base import CallerAudio, CallerHungUp, CallerInput, Transport


class LoopbackLine(Transport):
    """A line whose caller stays quiet for a second, then speaks over the bot."""

    name = "loopback"

    def __init__(self) -> None:
        self.played_at: list[float] = []
        self.speech_started_at = 0.0
        self.hung_up = False

    async def receive(self) -> AsyncIterator[CallerInput]:
        started = time.monotonic()
        speech = read_audio_file(hotline("d05"))
        # webrtcvad finds the first voiced frame of d05 about 60 ms in: count from there.
        for index, frame in enumerate(frames(silence(1.0) + speech + silence(0.5))):
            if index == 50 + 3:
                self.speech_started_at = time.monotonic()
            yield CallerAudio(frame)
            await asyncio.sleep(
                max(0.0, started + (index + 1) * FRAME_MS / 1000 - time.monotonic())
            )
        yield CallerHungUp()

    async def play(self, frame: bytes) -> None:
        self.played_at.append(time.monotonic())

    async def transfer(self, target: str) -> bool:
        return False

    async def hang_up(self) -> None:
        self.hung_up = True


def test_caller_speaking_over_the_greeting_stops_it_within_300_ms() -> None:
    async def run() -> LoopbackLine:
        services = VoiceServices.create(offline_settings())
        await services.warm_up()
        line = LoopbackLine()
        session = CallSession(services, "barge-in-test", line.name)
        await line.serve(session)
        await services.aclose()
        return line

    line = asyncio.run(run())
    assert line.speech_started_at > 0
    played_before = [t for t in line.played_at if t < line.speech_started_at]
    assert len(played_before) > 40  # the greeting was playing
    greeting_frames_after = [
        t for t in line.played_at if line.speech_started_at <= t < line.speech_started_at + 1.0
    ]
    stopped_after = (
        (greeting_frames_after[-1] - line.speech_started_at) if greeting_frames_after else 0
    )
    assert stopped_after < 0.3, stopped_after
