"""The bot's side of the line: replies spoken one after another (each synthesised clause by
clause while the earlier ones play), stopped at once when the caller barges in, and the last
reply kept whole so "再说一遍" can replay it as it was."""

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from voice.audio import FRAME_MS, frames
from voice.call.events import BotAudio, BotDone, CallEvent, StopPlayback, TurnRecord
from voice.call.record import CallRecording
from voice.call.tasks import Spawn
from voice.tts.speaker import Speaker


class Playback:
    def __init__(
        self,
        speaker: Speaker,
        events: asyncio.Queue[CallEvent],
        spawn: Spawn,
        recording: CallRecording | None,
    ) -> None:
        self._speaker = speaker
        self._events = events
        self._spawn = spawn
        self._recording = recording
        self.epoch = 0  # raised by every barge-in
        self.playing_until = 0.0  # monotonic: when the transport will have played our audio
        self.last_text = ""
        self.last_audio = b""
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def speaking(self) -> bool:
        """Still producing the audio of a reply."""
        return any(not task.done() for task in self._tasks)

    @property
    def tasks(self) -> set[asyncio.Task[None]]:
        return self._tasks

    def unfinished(self) -> list[asyncio.Task[None]]:
        return [task for task in self._tasks if not task.done()]

    def say(self, text: str, record: TurnRecord | None, since: float | None = None) -> None:
        """Speak `text` after whatever the bot is still saying; a barge-in cancels it."""
        self._queue(self._speak(text, record, since))

    def play(self, pcm: bytes, record: TurnRecord, since: float) -> None:
        self._queue(self._speak_audio(pcm, record, since))

    def barge_in(self) -> None:
        """The caller speaks or keys over the bot: stop it at once."""
        for speech in self._tasks:
            speech.cancel()
        self.epoch += 1
        if time.monotonic() < self.playing_until:
            self.playing_until = time.monotonic()
            self._events.put_nowait(StopPlayback())

    def drop(self) -> None:
        """Nobody is listening any more: the transport drops what is queued."""
        self.epoch += 1
        for speech in self._tasks:
            speech.cancel()

    def played(self) -> None:
        """The transport has played every frame it was given."""
        self.playing_until = min(self.playing_until, time.monotonic())

    @property
    def audible(self) -> bool:
        """The caller may still be hearing the bot."""
        return time.monotonic() < self.playing_until

    async def finish(self) -> None:
        pending = self.unfinished()
        if pending:
            await asyncio.wait(pending)

    def _queue(self, speech: Coroutine[Any, Any, None]) -> None:
        previous = self.unfinished()

        async def after_previous() -> None:
            try:
                if previous:
                    await asyncio.wait(previous)
            except asyncio.CancelledError:
                speech.close()  # barged in before it began
                raise
            await speech

        task = self._spawn(after_previous())
        self._tasks = {*previous, task}

    async def _speak(self, text: str, record: TurnRecord | None, since: float | None) -> None:
        started = time.monotonic()
        self.last_text, self.last_audio = text, b""
        spoken = bytearray()
        first = True
        async for pcm in self._speaker.speak(text, record.speech if record is not None else None):
            if first and record is not None:
                record.stages_ms["tts_first_audio"] = (time.monotonic() - started) * 1000
            spoken += self._emit(pcm, record, since if first else None)
            first = False
        self.last_audio = bytes(spoken)  # complete: "再说一遍" can replay it as it was
        await self._events.put(BotDone())

    async def _speak_audio(self, pcm: bytes, record: TurnRecord, since: float) -> None:
        self._emit(pcm, record, since)
        await self._events.put(BotDone())

    def _emit(self, pcm: bytes, record: TurnRecord | None, since: float | None) -> bytes:
        """Queue `pcm` as 20 ms frames; returns them as queued (the last one padded)."""
        now = time.monotonic()
        if since is not None and record is not None and record.latency_ms is None:
            record.latency_ms = round((now - since) * 1000)
        framed = list(frames(pcm))
        self.playing_until = max(self.playing_until, now) + len(framed) * FRAME_MS / 1000
        for frame in framed:
            self._events.put_nowait(BotAudio(frame, self.epoch))
        if self._recording is not None:
            self._recording.bot(pcm)
        return b"".join(framed)
