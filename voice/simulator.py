"""`linli-call`: a whole call through the real call session, from WAV files.

Each argument is one caller turn: a WAV file (any sample rate; it is played at real time and
followed by silence until the bot answers), `keys:138...#` (key presses), or `silence:SECONDS`.
One JSON line per turn: {"turn", "transcript", "intent", "bot_text", "latency_ms"}, latency
from the end of the caller's speech to the first byte of bot audio.
"""

import argparse
import asyncio
import json
import logging
import sys
import time
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice.audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, frames, read_audio_file, silence
from voice.call.events import BotAudio, Hangup, StopPlayback, Transfer, TurnRecord
from voice.services import VoiceServices
from voice.session import CallSession
from voice.settings import SttEngineName, get_settings

ANSWER_TIMEOUT_S = 60.0


@dataclass
class CallLog:
    """What the simulated caller heard, turn by turn."""

    records: list[TurnRecord] = field(default_factory=list)
    # [0]: the greeting, then one per turn
    audio: list[bytearray] = field(default_factory=lambda: [bytearray()])
    transfers: list[str] = field(default_factory=list)
    outcome: str | None = None
    stopped_playback: int = 0


class SimulatedCall:
    """A caller who speaks WAV files into one call session and listens to everything."""

    def __init__(
        self, session: CallSession, speed: float = 1.0, human_line_answers: bool = True,
        on_turn: Any = None,
    ) -> None:  # fmt: skip
        self.session = session
        self.speed = speed
        self.human_line_answers = human_line_answers
        self.log = CallLog()
        self._on_turn = on_turn
        self._turn_seen = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def _listen(self) -> None:
        while True:
            event = await self.session.events.get()
            if isinstance(event, BotAudio):
                self.log.audio[-1] += event.pcm
            elif isinstance(event, TurnRecord):
                self.log.records.append(event)
                self.log.audio.append(bytearray())
                if self._on_turn is not None:
                    self._on_turn(event)
                self._turn_seen.set()
            elif isinstance(event, StopPlayback):
                self.log.stopped_playback += 1
            elif isinstance(event, Transfer):
                self.log.transfers.append(event.target)
                event.connected.set_result(self.human_line_answers)
            elif isinstance(event, Hangup):
                self.log.outcome = event.outcome
                self._turn_seen.set()
                return

    async def start(self) -> None:
        self._listener = asyncio.get_running_loop().create_task(self._listen())
        await self.session.start()
        if self.session.plan is not None:
            # A call Linli placed opens with Rasa's turn, recorded like any other.
            await self._wait_for_answer(0)
            return
        await self._bot_finished()
        # Each turn's record follows its reply's audio: from here on, one bucket per turn.
        self.log.audio.append(bytearray())

    async def _bot_finished(self) -> None:
        while self.session.bot_is_speaking:
            await asyncio.sleep(0.01)
        # This caller's phone plays bot audio instantly: the caller may speak right away.
        self.session.playback_finished()

    async def _feed(self, pcm: bytes, speed: float) -> None:
        started = time.monotonic()
        for index, frame in enumerate(frames(pcm)):
            if self.log.outcome is not None:
                return
            await self.session.feed_audio(frame)
            if speed > 0:
                delay = started + (index + 1) * FRAME_MS / 1000 / speed - time.monotonic()
                await asyncio.sleep(max(0.0, delay))
            elif index % 10 == 0:
                await asyncio.sleep(0)

    async def _wait_for_answer(self, turns_before: int) -> None:
        """Silence at real time (the caller waits) until the bot has answered this turn."""
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        frame = bytes(FRAME_BYTES)
        next_frame = time.monotonic()
        while len(self.log.records) == turns_before and self.log.outcome is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer within {ANSWER_TIMEOUT_S:.0f} s")
            await self.session.feed_audio(frame)
            next_frame += FRAME_MS / 1000
            await asyncio.sleep(max(0.0, next_frame - time.monotonic()))
        await self._bot_finished()

    async def say(self, turn: str) -> None:
        before = len(self.log.records)
        if turn.startswith("keys:"):
            for key in turn.removeprefix("keys:"):
                await self.session.press_key(key)
                await asyncio.sleep(0.15)
        elif turn.startswith("silence:"):
            await self._feed(silence(float(turn.removeprefix("silence:"))), self.speed)
        else:
            await self._feed(read_audio_file(Path(turn)), self.speed)
        await self._wait_for_answer(before)

    async def hang_up(self) -> None:
        if self.log.outcome is None:
            await self.session.caller_hung_up()
        if self._listener is not None:
            await self._listener


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)


async def run_call(
    turns: list[str], engine: SttEngineName | None, out: Path | None, speed: float,
    caller_number: str | None, services: VoiceServices | None = None,
) -> CallLog:  # fmt: skip
    own_services = services is None
    services = services or VoiceServices.create(get_settings())
    await services.warm_up(engine)
    session = CallSession(
        services, f"sim-{uuid.uuid4().hex[:12]}", "simulator", caller_number, stt_engine=engine
    )

    def print_turn(record: TurnRecord) -> None:
        print(json.dumps(record.summary(), ensure_ascii=False), flush=True)

    call = SimulatedCall(session, speed, on_turn=print_turn)
    try:
        await call.start()
        for turn in turns:
            if call.log.outcome is not None:
                break
            await call.say(turn)
        await call.hang_up()
    finally:
        if own_services:
            await services.aclose()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for index, pcm in enumerate(call.log.audio):
            if pcm:
                write_wav(out / f"turn-{index:02d}.wav", bytes(pcm))
    print(
        json.dumps({"call_id": session.call_id, "outcome": call.log.outcome}, ensure_ascii=False),
        file=sys.stderr,
    )
    return call.log


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="linli-call", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("turns", nargs="+", help="WAV file, keys:DIGITS, or silence:SECONDS")
    parser.add_argument("--engine", choices=["vosk", "whisper"], help="speech recognizer")
    parser.add_argument("--out", type=Path, help="write the bot's audio, one WAV per turn")
    parser.add_argument("--caller-number", help="caller id, as a telephone line would give it")
    parser.add_argument(
        "--speed", type=float, default=1.0,
        help="how fast caller audio is played (1 = real time; 0 = at once)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run_call(args.turns, args.engine, args.out, args.speed, args.caller_number))


if __name__ == "__main__":
    main()
