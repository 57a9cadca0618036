"""The parts of a call (voice/call/) on their own: no network, no speech models. Waits end on
events; the timeout only guards against a hang."""

import asyncio
import math
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest

from tests.voice.support import offline_settings
from voice.audio import FRAME_BYTES, SAMPLE_RATE, frames, silence
from voice.call.events import BotAudio, BotDone, CallEvent, StopPlayback, TurnRecord
from voice.call.keypad import Keypad
from voice.call.listening import PREROLL_FRAMES, Listener
from voice.call.playback import Playback
from voice.call.record import CallRecord
from voice.call.tasks import CallTasks
from voice.stt.base import CallRecognizer
from voice.tts.speaker import SpeechLog

GUARD_S = 5.0


def run(work: Any) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(GUARD_S * 2):
            return await work

    return asyncio.run(bounded())


# ---------------------------------------------------------------------------- keypad


async def keyed(presses: list[tuple[str, bool]], timeout_s: float = 0.2) -> list[str]:
    entered: list[str] = []
    done = asyncio.Event()

    def on_keys(keys: str) -> None:
        entered.append(keys)
        done.set()

    keypad = Keypad(timeout_s, on_keys)
    for key, offered in presses:
        keypad.press(key, callback_offered=offered)
    async with asyncio.timeout(GUARD_S):
        await done.wait()
    return entered


@pytest.mark.parametrize(
    ("presses", "meant"),
    [
        ([("0", False)], "0"),  # a lone 0 (a person), after its second of waiting
        ([("*", False)], "*"),  # a repeat, at once
        ([("1", True)], "1"),  # yes to the callback offer, at once
        ([("1", False), ("3", False), ("#", False)], "13"),  # not offered: a number
        ([("0", False), ("5", False), ("#", False)], "05"),  # 0 then a digit: a number
        ([("1", False), ("*", False), ("2", False)], "1X2"),  # the X of an ID, ended by a pause
    ],
)
def test_keys_mean_a_person_a_repeat_a_yes_or_a_number(
    presses: list[tuple[str, bool]], meant: str
) -> None:
    assert run(keyed(presses)) == [meant]


# ---------------------------------------------------------------------------- playback


def audio_of(text: str) -> bytes:
    """Ten whole frames, distinct per text."""
    return (text.encode() * 10 * FRAME_BYTES)[: 10 * FRAME_BYTES]


class Speaker:
    """Two chunks of 0.1 s per text; the second waits for `hold` when given."""

    def __init__(self, hold: asyncio.Event | None = None) -> None:
        self.hold = hold

    async def speak(self, text: str, log_to: SpeechLog | None = None) -> AsyncIterator[bytes]:
        pcm = audio_of(text)
        yield pcm[: 5 * FRAME_BYTES]
        if self.hold is not None:
            await self.hold.wait()
        yield pcm[5 * FRAME_BYTES :]


async def drain_until(events: asyncio.Queue[CallEvent], count: int) -> list[CallEvent]:
    """Events up to the `count`-th BotDone."""
    seen: list[CallEvent] = []
    async with asyncio.timeout(GUARD_S):
        while sum(isinstance(e, BotDone) for e in seen) < count:
            seen.append(await events.get())
    return seen


def test_replies_play_in_order_and_the_last_is_kept_for_a_repeat() -> None:
    async def scenario() -> None:
        events: asyncio.Queue[CallEvent] = asyncio.Queue()
        playback = Playback(cast(Any, Speaker()), events, CallTasks("c").spawn, None)
        record = TurnRecord(1, "问", None, "", None)
        playback.say("第一句", record, since=0.0)
        playback.say("第二句", record)
        seen = await drain_until(events, 2)
        audio = [e.pcm for e in seen if isinstance(e, BotAudio)]
        assert b"".join(audio) == audio_of("第一句") + audio_of("第二句")
        assert playback.last_text == "第二句" and len(playback.last_audio) == 10 * FRAME_BYTES
        assert record.latency_ms is not None and not playback.speaking

    run(scenario())


def test_a_barge_in_stops_the_reply_and_tells_the_transport() -> None:
    async def scenario() -> None:
        events: asyncio.Queue[CallEvent] = asyncio.Queue()
        hold = asyncio.Event()
        playback = Playback(cast(Any, Speaker(hold)), events, CallTasks("c").spawn, None)
        playback.say("很长的一段话", None)
        async with asyncio.timeout(GUARD_S):
            while not isinstance(await events.get(), BotAudio):
                pass
        assert playback.speaking and playback.audible
        epoch = playback.epoch
        playback.barge_in()
        await asyncio.sleep(0)  # the cancelled reply unwinds
        assert playback.epoch == epoch + 1 and not playback.speaking and not playback.audible
        rest = [events.get_nowait() for _ in range(events.qsize())]
        assert any(isinstance(event, StopPlayback) for event in rest)
        assert not any(isinstance(event, BotDone) for event in rest)
        assert playback.last_audio == b""  # never finished: a repeat will synthesise it again

    run(scenario())


# ---------------------------------------------------------------------------- listening


class Recognizer(CallRecognizer):
    def __init__(self) -> None:
        super().__init__(ThreadPoolExecutor(max_workers=1))
        self.accepted: list[bool] = []
        self.told_early = 0

    def accept(self, pcm: bytes, voiced: bool = True) -> None:
        self.accepted.append(voiced)

    def end_may_be_near(self) -> None:
        self.told_early += 1

    async def finish(self) -> str:
        return ""

    def cancel(self) -> None:
        pass


def tone(seconds: float) -> bytes:
    count = int(seconds * SAMPLE_RATE)
    samples = (round(12_000 * math.sin(2 * math.pi * 300 * n / SAMPLE_RATE)) for n in range(count))
    return b"".join(sample.to_bytes(2, "little", signed=True) for sample in samples)


def test_an_utterance_is_found_with_its_onset_and_the_decoder_told_early() -> None:
    events: list[str] = []
    recognizer = Recognizer()
    listener = Listener(
        offline_settings(speech_start_ms=160, speech_end_ms=400, speculative_decode_ms=160),
        recognizer,
        on_speech_started=lambda: events.append("started"),
        on_utterance=lambda ended, endpoint: events.append(f"utterance {endpoint >= ended}"),
        on_quiet_frame=lambda: events.append("quiet"),
    )
    for frame in frames(silence(0.5) + tone(0.6) + silence(0.6)):
        listener.feed(frame[:100])  # a transport's odd chunk sizes are framed again
        listener.feed(frame[100:])
    spoken = [event for event in events if event != "quiet"]
    assert spoken == ["started", "utterance True"]
    # 0.5 s of quiet, then the tone's first 160 ms (speech_start_ms) before it counts as speech.
    assert 25 <= events.index("started") <= 25 + 8
    # The pre-roll went in before the voiced frames: the onset of the first syllable.
    assert len(recognizer.accepted) > PREROLL_FRAMES + 30
    assert recognizer.told_early == 1


# ---------------------------------------------------------------------------- call record


class Backend:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def start_call(self, *args: Any) -> None:
        self.calls.append(("start", *args))

    async def add_turn(self, call_id: str, turn: int, *rest: Any) -> None:
        self.calls.append(("turn", turn))

    async def end_call(self, call_id: str, outcome: str) -> None:
        self.calls.append(("end", outcome))


def test_a_turn_is_reported_after_its_reply_and_the_call_ends_after_its_turns() -> None:
    async def scenario() -> None:
        events: asyncio.Queue[CallEvent] = asyncio.Queue()
        backend = Backend()
        tasks = CallTasks("c")
        record = CallRecord(
            cast(Any, backend), events, tasks.spawn,
            call_id="c", transport="unit", caller_number=None,
        )  # fmt: skip
        await record.start()
        reply_made = asyncio.Event()
        speech = tasks.spawn(reply_made.wait())
        record.add(TurnRecord(record.next_turn, "你好", "greet", "您好", 300), [speech])
        await asyncio.sleep(0)
        assert events.empty() and backend.calls == [("start", "c", "unit", None)]
        reply_made.set()
        await record.end("completed")
        assert backend.calls[1:] == [("turn", 1), ("end", "completed")]
        assert isinstance(events.get_nowait(), TurnRecord) and record.next_turn == 2

    run(scenario())
