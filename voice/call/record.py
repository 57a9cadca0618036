"""The call as the backend and the metrics see it: started, each turn reported once its reply
has been produced (its latency is known then), ended once every turn has landed; and, when
`LINLI_VOICE_RECORD_AUDIO` is on, the caller's and the bot's audio as two WAV files."""

import asyncio
import wave
from pathlib import Path
from typing import Any

from voice.audio import SAMPLE_RATE
from voice.backend_client import BackendClient
from voice.call.events import CallEvent, TurnRecord
from voice.call.tasks import Spawn
from voice.metrics import CALLS, CALLS_IN_PROGRESS, STAGE_SECONDS, TURN_SECONDS, TURNS


class CallRecord:
    def __init__(
        self,
        backend: BackendClient,
        events: asyncio.Queue[CallEvent],
        spawn: Spawn,
        *,
        call_id: str,
        transport: str,
        caller_number: str | None,
    ) -> None:
        self._backend = backend
        self._events = events
        self._spawn = spawn
        self.call_id = call_id
        self.transport = transport
        self.caller_number = caller_number
        self.turns: list[TurnRecord] = []
        self.writes: set[asyncio.Task[Any]] = set()
        CALLS_IN_PROGRESS.labels(transport).inc()

    @property
    def next_turn(self) -> int:
        return len(self.turns) + 1

    async def start(self) -> None:
        await self._backend.start_call(self.call_id, self.transport, self.caller_number)

    def add(self, record: TurnRecord, speech: list[asyncio.Task[None]]) -> None:
        """The turn goes to the transport and the backend once `speech` (its reply) is made."""
        self.turns.append(record)
        TURNS.labels(self.transport).inc()
        if record.latency_ms is not None:
            TURN_SECONDS.observe(record.latency_ms / 1000)
        for stage, milliseconds in record.stages_ms.items():
            STAGE_SECONDS.labels(stage).observe(milliseconds / 1000)
        write = self._spawn(self._report(record, speech))
        self.writes.add(write)
        write.add_done_callback(self.writes.discard)

    async def _report(self, record: TurnRecord, speech: list[asyncio.Task[None]]) -> None:
        if speech:
            await asyncio.wait(speech)
        await self._events.put(record)
        await self._backend.add_turn(
            self.call_id, record.turn, record.transcript, record.intent, record.bot_text,
            record.latency_ms,
        )  # fmt: skip

    def ending(self, outcome: str) -> None:
        """The call is over (what is still being said may finish)."""
        CALLS_IN_PROGRESS.labels(self.transport).dec()
        CALLS.labels(self.transport, outcome).inc()

    async def end(self, outcome: str) -> None:
        """Turns first, so the record is complete when it ends."""
        if self.writes:
            await asyncio.wait(self.writes)
        await self._backend.end_call(self.call_id, outcome)


class CallRecording:
    """Caller and bot audio as `<call id>-caller.wav` and `<call id>-bot.wav` in `directory`."""

    def __init__(self, directory: Path, call_id: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._files = [
            self._open(directory / f"{call_id}-{side}.wav") for side in ("caller", "bot")
        ]

    @staticmethod
    def _open(path: Path) -> wave.Wave_write:
        recording = wave.open(str(path), "wb")  # noqa: SIM115 - closed when the call ends
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(SAMPLE_RATE)
        return recording

    def caller(self, pcm: bytes) -> None:
        self._files[0].writeframes(pcm)

    def bot(self, pcm: bytes) -> None:
        self._files[1].writeframes(pcm)

    def close(self) -> None:
        for recording in self._files:
            recording.close()
