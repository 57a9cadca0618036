"""The base class every telephony transport implements; `Transport.serve` runs one call."""

import asyncio
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass

from voice.audio import FRAME_MS
from voice.backend_client import BackendClient
from voice.call.events import BotAudio, BotDone, Hangup, StopPlayback, Transfer
from voice.session import CallSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallerAudio:
    pcm: bytes  # 16 kHz 16-bit mono: a transport converts from its codec and rate


@dataclass(frozen=True)
class KeyPress:
    key: str  # "0"-"9", "*", "#"


@dataclass(frozen=True)
class CallerHungUp:
    pass


CallerInput = CallerAudio | KeyPress | CallerHungUp


class Transport(ABC):
    """One call on one line. Subclasses move bytes; the pacing and the session logic are here."""

    name: str

    @abstractmethod
    def receive(self) -> AsyncIterator[CallerInput]:
        """What the caller sends, until the line closes."""

    @abstractmethod
    async def play(self, frame: bytes) -> None:
        """Send one 20 ms frame of 16 kHz PCM to the caller."""

    async def flush_playback(self) -> None:  # noqa: B027 - only buffered transports need this
        """Drop audio the transport (or the far end) has buffered but not yet played."""

    async def reply_sent(self) -> None:  # noqa: B027 - only transports with marks need this
        """Every frame of one bot reply has been handed to `play`."""

    @abstractmethod
    async def transfer(self, target: str) -> bool:
        """Connect the caller to `target`; whether someone answered."""

    @abstractmethod
    async def hang_up(self) -> None:
        """End the call from our side."""

    async def serve(self, session: CallSession) -> str:
        """Run the call to its end; returns its outcome."""
        await session.start()
        caller = asyncio.create_task(self._pump_caller(session))
        try:
            return await self._pump_bot(session)
        finally:
            caller.cancel()

    async def _pump_caller(self, session: CallSession) -> None:
        async for item in self.receive():
            if isinstance(item, CallerAudio):
                await session.feed_audio(item.pcm)
            elif isinstance(item, KeyPress):
                await session.press_key(item.key)
            else:
                await session.caller_hung_up()
                return

    async def _pump_bot(self, session: CallSession) -> str:
        """Plays bot audio at real time, so a barge-in can still stop what is not played."""
        next_frame = time.monotonic()
        while True:
            event = await session.events.get()
            if isinstance(event, BotAudio):
                if event.epoch != session.epoch:
                    continue  # interrupted by the caller: never played
                next_frame = max(next_frame, time.monotonic())
                await self.play(event.pcm)
                next_frame += FRAME_MS / 1000
                await asyncio.sleep(max(0.0, next_frame - time.monotonic()))
            elif isinstance(event, StopPlayback):
                await self.flush_playback()
            elif isinstance(event, Transfer):
                event.connected.set_result(await self.transfer(event.target))
            elif isinstance(event, Hangup):
                await self.hang_up()
                return event.outcome
            elif isinstance(event, BotDone):
                await self.reply_sent()
                if session.events.empty():
                    session.playback_finished()  # every frame of the reply has been played


async def record_broken_connection(
    backend: BackendClient, transport: str, problem: str | None
) -> None:
    """A peer that sent something but never a valid start still leaves a call record (outcome
    "error"); one that connected and left without a byte was a port check, not a call."""
    if problem is None:
        return
    call_id = f"{transport}-{uuid.uuid4().hex[:16]}"
    log.warning("%s: %s: %s", transport, call_id, problem)
    await backend.start_call(call_id, transport, None)
    await backend.end_call(call_id, "error")
