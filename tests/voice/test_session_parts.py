"""`CallSession` on its own: keys, silence, turn-taking, barge-in and the call record, with
stand-ins for Rasa, the backend, the speaker and the recognizer (no network, no speech models).

The stand-ins offer exactly what the session calls: `send` and `latest_intent` of
`RasaClient`; `start_call`, `add_turn`, `create_handoff` and `end_call` of `BackendClient`;
`speak` of `Speaker`; `new_recognizer` of `SpeechRecognizer` and a `CallRecognizer`. Only the
voice-activity detector is real (webrtcvad, microseconds a frame): caller speech is a loud
300 Hz tone, which it takes for voice, and what was "said" is the transcript the test gives.
Tests wait on `session.events`, bounded by a timeout that only guards against a hang.
"""

import asyncio
import hashlib
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pytest

from common import emergency_alerts
from common.danger_signs import DangerSigns
from common.rasa_client import RasaMessage
from tests.voice.support import offline_settings
from voice import prompts
from voice.audio import FRAME_BYTES, SAMPLE_RATE, frames, silence
from voice.backend_client import FiledHandoff
from voice.call.events import (
    BotAudio,
    BotDone,
    CallEvent,
    Hangup,
    StopPlayback,
    Transfer,
    TurnRecord,
)
from voice.services import VoiceServices
from voice.session import SPOKEN_CHARS_PER_S, CallSession
from voice.settings import SttEngineName
from voice.speakable import MORE_OFFER, speakable
from voice.stt.base import CallRecognizer, SpeechRecognizer
from voice.tts.speaker import SpeechLog

CALL_ID = "call-unit-1"
ACCEPTED = FiledHandoff(accepted=True, kept=False, number="H0042")
KEPT = FiledHandoff(accepted=False, kept=True)
LOST = FiledHandoff(accepted=False, kept=False)
DANGER_SIGNS = DangerSigns.load()
CALLER = "13912345678"
GUARD_S = 5.0  # only against a hang: every wait ends on an event long before this

E = TypeVar("E")


# ---------------------------------------------------------------------------- stand-ins


Reply = tuple[str, str | None] | tuple[str, str | None, dict[str, Any]]

# What Rasa's actions answer on the phone (actions/help.py, actions/core.py): their words, and
# what the bridge is to do (`linli_call`). Rasa decides; the session only carries it out.
QUEUED = "已经为您登记了回电，登记编号是H0042。"
PHONE_RASA: dict[str, Reply] = {
    "/repeat": ("（上一句）", "repeat", {"repeat": True}),
    "/request_human": (QUEUED, "request_human", {"callback": True}),
    "/callback_offer": ("需要回电话的话，请按1。", "callback_offer"),
    "/affirm": (f"{QUEUED}\n再见！", "affirm", {"callback": True, "end": True}),
}


class StandInRasa:
    """`RasaClient.send` and `latest_intent`: canned replies, and what it was sent."""

    def __init__(self, replies: dict[str, Reply] | None = None) -> None:
        # caller text → (reply text, intent Rasa would find[, linli_call instructions])
        self.replies: dict[str, Reply] = {**PHONE_RASA, **(replies or {})}
        self.sent: list[tuple[str, str]] = []  # (sender id, text)
        self.metadata: list[dict[str, Any] | None] = []
        self.intent_asked: list[str] = []  # sender ids

    def reply_to(self, text: str) -> Reply:
        return self.replies.get(text, (f"收到：{text}。", "inform"))

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[RasaMessage]:
        self.sent.append((sender_id, text))
        self.metadata.append(metadata)
        reply = self.reply_to(text)
        custom = {"linli_call": reply[2]} if len(reply) == 3 else None
        # Two messages, as Rasa often answers: the session joins their texts.
        first, _, rest = reply[0].partition("\n")
        if rest:
            return [RasaMessage(first), RasaMessage(rest, custom=custom)]
        return [RasaMessage(first, custom=custom)]

    async def latest_intent(self, sender_id: str) -> str | None:
        self.intent_asked.append(sender_id)
        texts = [text for sender, text in self.sent if sender == sender_id]
        return self.reply_to(texts[-1])[1] if texts else None

    async def aclose(self) -> None:
        pass


class StandInBackend:
    """`BackendClient`: what would have been filed, in the order it was filed."""

    enabled = True

    def __init__(self, handoff: FiledHandoff = ACCEPTED) -> None:
        self.handoff = handoff
        self.filed: list[tuple[Any, ...]] = []

    async def start_call(self, call_id: str, transport: str, caller_number: str | None) -> None:
        self.filed.append(("start_call", call_id, transport, caller_number))

    async def add_turn(
        self, call_id: str, turn: int, transcript: str, intent: str | None, bot_text: str,
        latency_ms: int | None,
    ) -> None:  # fmt: skip
        self.filed.append(("add_turn", call_id, turn, transcript, intent, bot_text, latency_ms))

    async def end_call(self, call_id: str, outcome: str) -> None:
        self.filed.append(("end_call", call_id, outcome))

    async def create_handoff(
        self, call_id: str, reason: str, phone: str | None, last_message: str,
        danger: str | None = None,
    ) -> FiledHandoff:  # fmt: skip
        self.filed.append(("create_handoff", call_id, reason, phone, last_message, danger))
        return self.handoff

    async def aclose(self) -> None:
        pass

    def turns(self) -> list[tuple[int, str, str | None, str]]:
        """(turn, transcript, intent, bot text) of every `add_turn`, in order."""
        return [(f[2], f[3], f[4], f[5]) for f in self.filed if f[0] == "add_turn"]


def pcm_for(text: str, seconds: float) -> bytes:
    """The stand-in speaker's audio for `text`: deterministic, distinct per text, whole frames."""
    size = max(1, round(seconds * 1000 / 20)) * FRAME_BYTES
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return (digest * (size // len(digest) + 1))[:size]


class StandInSpeaker:
    """`Speaker.speak`: `seconds` of audio per text at once, in two chunks. With `hold`, the
    second chunk waits for it, so the test can talk over a reply still being produced."""

    def __init__(self, seconds: float = 0.1, hold: asyncio.Event | None = None) -> None:
        self.seconds = seconds
        self.hold = hold
        self.said: list[str] = []
        self.interrupted: list[str] = []

    def audio(self, text: str) -> bytes:
        return pcm_for(text, self.seconds)

    async def speak(self, text: str, log_to: SpeechLog | None = None) -> AsyncIterator[bytes]:
        self.said.append(text)
        pcm = self.audio(text)
        half = len(pcm) // FRAME_BYTES // 2 * FRAME_BYTES
        try:
            yield pcm[:half]
            if self.hold is not None:
                await self.hold.wait()
            yield pcm[half:]
        except (asyncio.CancelledError, GeneratorExit):
            self.interrupted.append(text)
            raise
        if log_to is not None:
            log_to.sources.append("stand-in")


class StandInCallRecognizer(CallRecognizer):
    """One call's recognizer: counts the audio of each utterance; its transcript is the next
    one the test queued ("" when none: the session takes that for noise)."""

    def __init__(self, engine: "StandInRecognizer") -> None:
        super().__init__(engine.executor)  # never used: nothing is decoded
        self._engine = engine
        self._frames = 0
        self._voiced = 0

    def accept(self, pcm: bytes, voiced: bool = True) -> None:
        self._frames += 1
        self._voiced += voiced
        self.stats.audio_s += len(pcm) / 2 / SAMPLE_RATE

    def end_may_be_near(self) -> None:
        self._engine.speculations += 1

    async def finish(self) -> str:
        self._engine.utterances.append((self._frames, self._voiced))
        self._frames = self._voiced = 0
        return self._engine.transcripts.popleft() if self._engine.transcripts else ""

    def cancel(self) -> None:
        self._frames = self._voiced = 0
        self._engine.cancelled += 1


class StandInRecognizer(SpeechRecognizer):
    name = "stand-in"

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1)  # starts no thread until used
        self.transcripts: deque[str] = deque()
        self.utterances: list[tuple[int, int]] = []  # (frames, voiced frames) per finish()
        self.speculations = 0
        self.cancelled = 0

    def new_recognizer(self) -> CallRecognizer:
        return StandInCallRecognizer(self)


class PassThroughCorrector:
    """`TranscriptCorrector.correct` leaving the transcript as the test gave it."""

    def correct(self, text: str) -> str:
        return text


@dataclass
class StandInServices(VoiceServices):
    stt: StandInRecognizer = field(default_factory=StandInRecognizer)

    def recognizer(self, engine: SttEngineName | None = None) -> SpeechRecognizer:
        return self.stt


@dataclass
class Call:
    session: CallSession
    rasa: StandInRasa
    backend: StandInBackend
    speaker: StandInSpeaker
    stt: StandInRecognizer

    async def events_until(self, kind: type[E]) -> tuple[list[CallEvent], E]:
        """Every event up to the first of `kind`, and that one."""
        seen: list[CallEvent] = []
        async with asyncio.timeout(GUARD_S):
            while True:
                event = await self.session.events.get()
                seen.append(event)
                if isinstance(event, kind):
                    return seen, event

    async def answered(self) -> bytes:
        """Start the call and let the greeting play out; returns the greeting's audio."""
        await self.session.start()
        seen, _ = await self.events_until(BotDone)
        self.session.playback_finished()
        return bot_audio(seen)

    async def say(self, transcript: str, seconds: float = 0.6) -> None:
        """The caller speaks for `seconds`, then is silent long enough to end the turn; frame
        by frame, yielding to the loop between frames as a transport does."""
        self.stt.transcripts.append(transcript)
        for frame in frames(voice(seconds) + silence(0.8)):
            await self.session.feed_audio(frame)
            await asyncio.sleep(0)

    async def press(self, keys: str) -> None:
        for key in keys:
            await self.session.press_key(key)

    async def turn(self) -> tuple[list[CallEvent], TurnRecord]:
        """The events of the next turn up to its record; the transport has then played it."""
        seen, record = await self.events_until(TurnRecord)
        self.session.playback_finished()
        return seen, record


def make_call(
    replies: dict[str, Reply] | None = None,
    speaker: StandInSpeaker | None = None,
    handoff: FiledHandoff = ACCEPTED,
    **settings: object,
) -> Call:
    values: dict[str, object] = {
        "vad_aggressiveness": 2, "speech_start_ms": 160, "speech_end_ms": 400,
        "speculative_decode_ms": 160, "max_utterance_s": 20.0, "silence_reprompt_s": 30.0,
        "silent_reprompts": 2, "keypad_timeout_s": 0.2, "human_line": None,
        "record_audio": False,
    }  # fmt: skip
    values.update(settings)
    rasa, backend = StandInRasa(replies), StandInBackend(handoff)
    speaker = speaker or StandInSpeaker()
    services = StandInServices(
        settings=offline_settings(**values),
        speaker=cast(Any, speaker),
        corrector=cast(Any, PassThroughCorrector()),
        rasa=cast(Any, rasa),
        backend=cast(Any, backend),
        danger_signs=DANGER_SIGNS,
    )
    session = CallSession(services, CALL_ID, "unit", caller_number=CALLER)
    return Call(session, rasa, backend, speaker, services.stt)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def voice(seconds: float, hz: float = 300.0) -> bytes:
    """A loud steady tone: webrtcvad (aggressiveness 2 and 3) classifies it as speech."""
    count = int(seconds * SAMPLE_RATE)
    samples = (round(12_000 * math.sin(2 * math.pi * hz * n / SAMPLE_RATE)) for n in range(count))
    return b"".join(sample.to_bytes(2, "little", signed=True) for sample in samples)


def bot_audio(events: list[CallEvent]) -> bytes:
    return b"".join(event.pcm for event in events if isinstance(event, BotAudio))


def kinds(events: list[CallEvent]) -> list[str]:
    """Event type names with runs of BotAudio collapsed: ["BotAudio", "BotDone", ...]."""
    names: list[str] = []
    for event in events:
        name = type(event).__name__
        if not (names and name == names[-1] == "BotAudio"):
            names.append(name)
    return names


@pytest.fixture(autouse=True)
def _no_session_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A stand-in lacking something the session calls fails a background task, which the
    session only logs: any such log fails the test."""
    yield
    problems = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
    assert not problems, [r.getMessage() for r in problems]


# ---------------------------------------------------------------------------- keys


def test_digits_then_a_pause_are_one_turn_sent_to_rasa() -> None:
    """A phone number keyed in and left to time out (keypad_timeout_s) is one turn; a leading
    0 followed by more digits is part of the number, not the request for a person."""

    async def scenario() -> None:
        call = make_call(keypad_timeout_s=0.2)
        await call.answered()
        await call.press("01062345678")
        seen, record = await call.turn()
        assert call.rasa.sent == [(call.session.conversation_id, "01062345678")]
        assert record.transcript == "01062345678"
        assert record.intent == "inform"
        assert record.bot_text == "收到：01062345678。"
        assert kinds(seen) == ["BotAudio", "BotDone", "TurnRecord"]
        assert bot_audio(seen) == call.speaker.audio(record.bot_text)

    run(scenario)


def test_star_inside_a_number_is_the_x_of_an_id_number_and_hash_ends_it() -> None:
    async def scenario() -> None:
        call = make_call(keypad_timeout_s=30.0)  # only `#` can end the number in time
        await call.answered()
        await call.press("11010519491231002*#")
        _, record = await call.turn()
        assert call.rasa.sent == [(call.session.conversation_id, "11010519491231002X")]
        assert record.transcript == "11010519491231002X"

    run(scenario)


def test_star_alone_is_a_repeat_rasa_decides_and_the_bridge_replays_what_was_heard() -> None:
    async def scenario() -> None:
        call = make_call()
        greeting = await call.answered()
        await call.press("*")
        seen, record = await call.turn()
        assert call.rasa.sent == [(call.session.conversation_id, "/repeat")]
        assert record.intent == "repeat"
        assert record.transcript == "*"
        assert record.bot_text == prompts.GREETING
        assert bot_audio(seen) == greeting  # replayed as it was, not synthesised again
        assert call.speaker.said == [prompts.GREETING]

    run(scenario)


def test_zero_alone_then_a_pause_asks_rasa_for_a_person_with_the_calls_facts() -> None:
    """A lone 0 waits a fixed second (not a setting) for a following digit, then is the
    request for a person. Rasa's action files the callback (with the caller's number, which
    the bridge sends with every turn); the bridge files nothing itself."""

    async def scenario() -> None:
        call = make_call(human_line=None)
        await call.answered()
        await call.press("0")
        seen, record = await call.turn()
        assert call.rasa.sent == [(call.session.conversation_id, "/request_human")]
        assert call.rasa.metadata == [{"call": {"caller": CALLER, "human_line": False}}]
        assert (record.transcript, record.intent) == ("0", "request_human")
        assert record.bot_text == call.speaker.said[-1] == QUEUED
        assert bot_audio(seen) == call.speaker.audio(QUEUED)
        assert not any(filed[0] == "create_handoff" for filed in call.backend.filed)
        assert call.session.outcome is None  # the caller may go on talking

    run(scenario)


TRANSFERRING = "正在为您转接人工服务。"
TRANSFER: dict[str, Reply] = {
    "/request_human": (TRANSFERRING, "request_human", {"transfer": True}),
    "/transfer_failed": (QUEUED, "transfer_failed", {"callback": True}),
}


def test_zero_with_a_human_line_transfers_when_rasa_asks_and_ends_once_connected() -> None:
    async def scenario() -> None:
        call = make_call(replies=TRANSFER, human_line="sip:desk@community.example")
        await call.answered()
        await call.press("0#")
        seen, transfer = await call.events_until(Transfer)
        assert call.rasa.metadata[-1] == {"call": {"caller": CALLER, "human_line": True}}
        assert transfer.target == "sip:desk@community.example"
        assert call.speaker.said[-1] == TRANSFERRING
        assert kinds(seen) == ["BotAudio", "BotDone", "Transfer"]  # told first, then moved
        transfer.connected.set_result(True)
        rest, hangup = await call.events_until(Hangup)
        assert hangup.outcome == "transferred"
        records = [event for event in rest if isinstance(event, TurnRecord)]
        assert [(r.transcript, r.intent) for r in records] == [("0", "request_human")]
        assert call.backend.filed[-1] == ("end_call", CALL_ID, "transferred")

    run(scenario)


def test_a_transfer_nobody_answers_goes_back_to_rasa_which_files_the_callback() -> None:
    async def scenario() -> None:
        call = make_call(replies=TRANSFER, human_line="sip:desk@community.example")
        await call.answered()
        await call.press("0#")
        _, transfer = await call.events_until(Transfer)
        transfer.connected.set_result(False)  # busy
        _, record = await call.turn()
        assert [text for _, text in call.rasa.sent] == ["/request_human", "/transfer_failed"]
        assert record.intent == "request_human"
        assert record.bot_text == f"{TRANSFERRING}\n{QUEUED}"
        assert call.speaker.said[-1] == QUEUED
        await call.session.caller_hung_up()
        _, hangup = await call.events_until(Hangup)
        assert hangup.outcome == "callback"

    run(scenario)


# ---------------------------------------------------------------------------- silence


def test_silence_reprompts_then_asks_rasa_to_offer_a_callback_then_hangs_up() -> None:
    """Each `silence_reprompt_s` of caller silence (counted in audio fed, once the bot's audio
    has played) brings the next prompt: `silent_reprompts` reprompts, the callback offer
    (Rasa's, so that Rasa understands the answer), and then goodbye and the end of the call."""

    async def scenario() -> None:
        call = make_call(silence_reprompt_s=0.2, silent_reprompts=2)
        await call.answered()
        heard: list[str] = []
        for _ in range(3):
            await call.session.feed_audio(silence(0.2))
            seen, record = await call.turn()
            assert record.intent == "silence"
            assert bot_audio(seen) == call.speaker.audio(record.bot_text)
            heard.append(record.bot_text)
        offer = PHONE_RASA["/callback_offer"][0]
        assert heard == [*prompts.REPROMPTS[:2], offer]
        await call.session.feed_audio(silence(0.2))
        seen, hangup = await call.events_until(Hangup)
        assert hangup.outcome == "silence"
        assert call.speaker.said[-1] == prompts.SILENCE_GOODBYE
        assert kinds(seen) == ["BotAudio", "BotDone", "TurnRecord", "Hangup"]
        assert call.backend.filed[-1] == ("end_call", CALL_ID, "silence")
        assert call.rasa.sent == [(call.session.conversation_id, "/callback_offer")]

    run(scenario)


def test_silence_counts_only_once_the_bots_audio_has_played() -> None:
    async def scenario() -> None:
        call = make_call(speaker=StandInSpeaker(seconds=5.0), silence_reprompt_s=0.2)
        await call.session.start()
        await call.events_until(BotDone)
        for frame in frames(silence(1.0)):  # five reprompt periods, all while the greeting plays
            await call.session.feed_audio(frame)
            await asyncio.sleep(0)
        call.session.playback_finished()
        await call.session.feed_audio(silence(0.2))
        _, record = await call.turn()
        assert record.bot_text == prompts.REPROMPTS[0]
        assert call.speaker.said == [prompts.GREETING, prompts.REPROMPTS[0]]

    run(scenario)


def test_silence_does_not_count_while_a_reply_is_still_being_produced() -> None:
    async def scenario() -> None:
        synthesis = asyncio.Event()  # the second half of the greeting is slow to come
        speaker = StandInSpeaker(seconds=0.1, hold=synthesis)
        call = make_call(speaker=speaker, silence_reprompt_s=0.2)
        await call.session.start()
        await call.events_until(BotAudio)
        call.session.playback_finished()  # the caller heard what there was; more is coming
        for frame in frames(silence(1.0)):  # five reprompt periods
            await call.session.feed_audio(frame)
            await asyncio.sleep(0)
        synthesis.set()
        await call.events_until(BotDone)
        call.session.playback_finished()
        await call.session.feed_audio(silence(0.2))
        _, record = await call.turn()
        assert record.bot_text == prompts.REPROMPTS[0]
        assert speaker.said == [prompts.GREETING, prompts.REPROMPTS[0]]

    run(scenario)


def test_pressing_1_after_the_callback_offer_is_yes_and_rasas_answer_ends_the_call() -> None:
    async def scenario() -> None:
        call = make_call(silence_reprompt_s=0.2, silent_reprompts=0)
        await call.answered()
        await call.session.feed_audio(silence(0.2))
        await call.turn()
        await call.press("1")
        seen, hangup = await call.events_until(Hangup)
        assert call.rasa.sent[-1] == (call.session.conversation_id, "/affirm")
        assert hangup.outcome == "callback"
        records = [event for event in seen if isinstance(event, TurnRecord)]
        assert [(r.transcript, r.intent) for r in records] == [("1", "affirm")]
        assert not any(filed[0] == "create_handoff" for filed in call.backend.filed)
        assert call.speaker.said[-1] == f"{QUEUED}\n再见！"

    run(scenario)


def test_a_callback_rasa_could_not_file_ends_the_call_as_an_error() -> None:
    failed: dict[str, Reply] = {
        "/affirm": ("回电请求没能登记上。\n再见！", "affirm", {"callback": False, "end": True})
    }

    async def scenario() -> None:
        call = make_call(replies=failed, silence_reprompt_s=0.2, silent_reprompts=0)
        await call.answered()
        await call.session.feed_audio(silence(0.2))
        await call.turn()
        await call.press("1")
        _, hangup = await call.events_until(Hangup)
        assert hangup.outcome == "error"

    run(scenario)


@pytest.mark.parametrize(
    ("handoff", "told"),
    [
        (ACCEPTED, emergency_alerts.ALERTED),
        (KEPT, emergency_alerts.alert_pending("falls")),
        (LOST, emergency_alerts.alert_not_filed("falls")),
    ],
)
def test_an_emergency_hears_120_first_and_notified_only_once_the_backend_took_the_alert(
    handoff: FiledHandoff, told: str
) -> None:
    """A danger sign from the NLU's own lexicon: the guidance is spoken before the alert is
    filed, Rasa is not waited for, and "notified" is said only for an accepted alert."""

    async def scenario() -> None:
        call = make_call(handoff=handoff)
        await call.answered()
        await call.say("我老伴摔倒了起不来")
        _, record = await call.turn()
        assert record.intent == "emergency"
        guidance, said = call.speaker.said[-2:]
        assert "120" in guidance and "急救" in guidance
        assert said == told
        assert record.bot_text == f"{guidance}\n{told}"
        assert call.rasa.sent == []
        filed = [(f[2], f[5]) for f in call.backend.filed if f[0] == "create_handoff"]
        assert filed == [("emergency", "falls")]  # the worker on duty reads 跌倒 first
        if handoff is not ACCEPTED:
            assert "已经通知" not in record.bot_text

    run(scenario)


@pytest.mark.parametrize(
    ("words", "first_call"),
    [
        ("我妈说活着没意思，安眠药都攒好了", "12356"),  # self-harm: the crisis line
        ("他喝醉了又在打我妈", "110"),  # violence: the police first
        ("对方让我现在把存款全部转到安全账户", "96110"),  # a scam under way
        ("我家厨房一股煤气味，好像漏气了", "119"),  # gas: no switches, out, then 119
    ],
)
def test_a_danger_with_guidance_of_its_own_hears_that_guidance_first(
    words: str, first_call: str
) -> None:
    """The same choice chat makes (utter_emergency's variation for the danger's kind)."""

    async def scenario() -> None:
        call = make_call(handoff=ACCEPTED)
        await call.answered()
        await call.say(words)
        _, record = await call.turn()
        assert record.intent == "emergency"
        guidance, said = call.speaker.said[-2:]
        assert first_call in guidance and guidance != prompts.emergency_guidance()
        assert guidance == prompts.emergency_guidance(DANGER_SIGNS.find(words))
        assert said == emergency_alerts.ALERTED

    run(scenario)


@pytest.mark.parametrize(
    ("words", "line", "not_told"),
    [
        ("他喝醉了又在打我妈", "110", "120"),
        ("对方让我现在把存款全部转到安全账户", "110", "120"),
        ("厨房着火了", "119", None),
        ("我妈说活着没意思，安眠药都攒好了", "12356", None),
        ("我老伴摔倒了起不来", "120", "110"),
    ],
)
def test_an_alert_still_waiting_names_the_number_that_fits_the_danger(
    words: str, line: str, not_told: str | None
) -> None:
    """Until the workers know, the caller is told whom to call themselves: the police for
    someone being hurt or a scam under way, not the ambulance."""

    async def scenario() -> None:
        call = make_call(handoff=KEPT)
        await call.answered()
        await call.say(words)
        _, record = await call.turn()
        assert record.intent == "emergency"
        said = call.speaker.said[-1]
        assert said == emergency_alerts.alert_pending(DANGER_SIGNS.find(words))
        assert line in said and "已经通知" not in said
        assert not_told is None or not_told not in said

    run(scenario)


def test_words_after_the_callback_offer_are_rasas_to_understand() -> None:
    """ "不需要" holds 要: the bridge no longer guesses yes or no from words; Rasa hears them."""

    async def scenario() -> None:
        call = make_call(silence_reprompt_s=0.2, silent_reprompts=0)
        await call.answered()
        await call.session.feed_audio(silence(0.2))
        await call.turn()
        await call.say("不需要")
        _, record = await call.turn()
        assert call.rasa.sent[-1] == (call.session.conversation_id, "不需要")
        assert not any(filed[0] == "create_handoff" for filed in call.backend.filed)

    run(scenario)


# ---------------------------------------------------------------------------- turn-taking


def test_an_utterance_goes_to_rasa_under_the_call_id_and_the_reply_is_spoken() -> None:
    async def scenario() -> None:
        reply = "到社区居委会申请。\n要带户口本。"  # Rasa's two messages, joined
        call = make_call(replies={"低保怎么申请": (reply, "ask_dibao")})
        await call.answered()
        await call.say("低保怎么申请")
        seen, record = await call.turn()
        # The conversation is the bridge's own (voice front namespace), not the peer's id.
        assert call.session.conversation_id.startswith("call:unit-")
        assert CALL_ID not in call.session.conversation_id
        assert call.rasa.sent == [(call.session.conversation_id, "低保怎么申请")]
        assert call.rasa.intent_asked == [call.session.conversation_id]
        assert call.speaker.said[-1] == reply
        assert kinds(seen) == ["BotAudio", "BotDone", "TurnRecord"]  # no barge-in: all played
        assert bot_audio(seen) == call.speaker.audio(reply)
        assert {e.epoch for e in seen if isinstance(e, BotAudio)} == {call.session.epoch}
        assert (record.turn, record.transcript, record.intent, record.bot_text) == (
            1, "低保怎么申请", "ask_dibao", reply,
        )  # fmt: skip
        assert record.latency_ms is not None
        assert record.speech.sources == ["stand-in"]
        # The recognizer had the whole utterance, the 300 ms before its detection included.
        [(heard_frames, voiced_frames)] = call.stt.utterances
        assert voiced_frames >= 30  # 0.6 s of tone is 30 frames
        assert heard_frames > voiced_frames  # and the silence that ended it
        assert call.stt.speculations == 1  # told once, early in that silence

    run(scenario)


def test_a_long_answer_is_shortened_for_the_ear_and_the_rest_said_on_details() -> None:
    """The caller hears what to bring first and is offered the rest; a short "详细" plays it
    without asking Rasa; asked again, there is nothing kept, so Rasa hears it."""
    answer = (
        "低保的办理流程：向户籍所在地的乡镇人民政府或街道办事处提出申请，也可以请社区居委会代为提交。"
        "之后会入户调查、核对家庭经济状况，并在社区公示，公示没有异议的才能批准。"
        "审核确认一般要一段时间，情况特殊的还可以延长，期间请保持电话畅通。"
        "办理时要带上身份证和户口本。"
    )

    async def scenario() -> None:
        call = make_call(replies={"低保怎么办": (answer, "ask_policy")}, spoken_reply_max_s=16)
        await call.answered()
        await call.say("低保怎么办")
        _, first = await call.turn()
        assert first.bot_text.endswith(MORE_OFFER)
        assert "身份证" in first.bot_text and "入户调查" not in first.bot_text
        assert len(speakable(first.bot_text)) <= 16 * SPOKEN_CHARS_PER_S
        await call.say("详细")
        _, details = await call.turn()
        assert details.intent == "details"
        assert "入户调查" in details.bot_text and "延长" in details.bot_text
        assert call.rasa.sent == [(call.session.conversation_id, "低保怎么办")]
        await call.say("详细")
        await call.turn()
        assert call.rasa.sent[-1] == (call.session.conversation_id, "详细")

    run(scenario)


def test_noise_with_no_transcript_is_not_a_turn() -> None:
    async def scenario() -> None:
        call = make_call()
        await call.answered()
        await call.say("")  # a cough: the recognizer finds no words
        await call.say("你好")
        _, record = await call.turn()
        assert len(call.stt.utterances) == 2
        assert call.rasa.sent == [(call.session.conversation_id, "你好")]
        assert record.turn == 1

    run(scenario)


def test_a_reply_with_no_text_says_not_understood() -> None:
    async def scenario() -> None:
        call = make_call(replies={"嗯嗯啊": ("", "nlu_fallback")})
        await call.answered()
        await call.say("嗯嗯啊")
        _, record = await call.turn()
        assert record.bot_text == prompts.NOT_UNDERSTOOD
        assert call.speaker.said[-1] == prompts.NOT_UNDERSTOOD

    run(scenario)


# ---------------------------------------------------------------------------- barge-in


def test_speech_over_the_playing_greeting_stops_playback_and_the_reply_has_a_new_epoch() -> None:
    async def scenario() -> None:
        call = make_call(speaker=StandInSpeaker(seconds=5.0))  # 5 s of greeting to play
        await call.session.start()
        greeting, _ = await call.events_until(BotDone)
        old_epoch = {e.epoch for e in greeting if isinstance(e, BotAudio)}
        await call.say("我要预约送餐")  # well within the greeting's 5 s of playback
        seen, record = await call.events_until(TurnRecord)
        assert isinstance(seen[0], StopPlayback)
        assert kinds(seen) == ["StopPlayback", "BotAudio", "BotDone", "TurnRecord"]
        new_epoch = {e.epoch for e in seen if isinstance(e, BotAudio)}
        assert new_epoch == {call.session.epoch}
        assert min(new_epoch) > max(old_epoch)  # the transport drops older frames unplayed
        assert record.transcript == "我要预约送餐"

    run(scenario)


def test_speech_over_a_reply_still_being_produced_cancels_it() -> None:
    async def scenario() -> None:
        hold = asyncio.Event()  # never set: the greeting's second half never comes
        call = make_call(speaker=StandInSpeaker(seconds=1.0, hold=hold))
        await call.session.start()
        await call.events_until(BotAudio)
        assert call.session.bot_is_speaking
        for frame in frames(voice(0.3)):
            await call.session.feed_audio(frame)
        seen, _ = await call.events_until(StopPlayback)
        assert kinds(seen) == ["BotAudio", "StopPlayback"]  # the rest of the first half
        await asyncio.sleep(0)  # let the cancelled greeting unwind
        assert call.speaker.interrupted == [prompts.GREETING]
        assert not call.session.bot_is_speaking
        await call.session.caller_hung_up()
        rest, hangup = await call.events_until(Hangup)
        assert not any(isinstance(event, BotDone) for event in rest)
        assert hangup.outcome == "hangup"

    run(scenario)


def test_a_key_pressed_over_the_playing_greeting_stops_playback() -> None:
    async def scenario() -> None:
        call = make_call(speaker=StandInSpeaker(seconds=5.0))
        await call.session.start()
        await call.events_until(BotDone)
        await call.press("5")
        seen, _ = await call.events_until(StopPlayback)
        assert seen == [StopPlayback()]
        assert call.session.epoch == 1

    run(scenario)


# ---------------------------------------------------------------------------- the call record


def test_the_call_record_has_every_turn_in_order_then_the_outcome() -> None:
    async def scenario() -> None:
        call = make_call(
            replies={
                "低保怎么申请": ("到社区居委会申请。", "ask_dibao"),
                "13800138000": ("电话记下了。", "inform"),
                "再见": ("再见，祝您身体健康！", "goodbye"),
            },
            silence_reprompt_s=2.0,  # longer than the silence that ends an utterance
        )
        await call.answered()
        await call.say("低保怎么申请")
        await call.turn()
        await call.press("13800138000#")
        await call.turn()
        await call.session.feed_audio(silence(2.0))
        await call.turn()
        await call.say("再见")
        seen, hangup = await call.events_until(Hangup)
        assert hangup.outcome == "completed"
        assert seen[-1] is hangup  # after the goodbye's audio and record
        expected = [
            (1, "低保怎么申请", "ask_dibao", "到社区居委会申请。"),
            (2, "13800138000", "inform", "电话记下了。"),
            (3, "", "silence", prompts.REPROMPTS[0]),
            (4, "再见", "goodbye", "再见，祝您身体健康！"),
        ]
        assert call.backend.turns() == expected
        assert call.backend.filed[0] == ("start_call", CALL_ID, "unit", CALLER)
        assert call.backend.filed[-1] == ("end_call", CALL_ID, "completed")
        assert [
            (t["turn"], t["transcript"], t["intent"], t["bot_text"])
            for t in (record.summary() for record in call.session.turns)
        ] == expected
        assert all(
            f[6] is not None for f in call.backend.filed if f[0] == "add_turn"
        )  # every turn's latency was known when it was filed
        assert call.session.outcome == "completed"
        assert call.stt.cancelled == 1  # the recognizer was released at the end

    run(scenario)


def test_a_caller_hanging_up_after_a_queued_callback_ends_with_that_outcome() -> None:
    async def scenario() -> None:
        call = make_call()
        await call.answered()
        await call.press("0#")
        await call.turn()
        await call.session.caller_hung_up()
        _, hangup = await call.events_until(Hangup)
        assert hangup.outcome == "callback"
        assert [f[0] for f in call.backend.filed] == ["start_call", "add_turn", "end_call"]
        assert call.backend.filed[-1] == ("end_call", CALL_ID, "callback")
        # A call that has ended takes no more audio or keys.
        await call.say("还有事")
        await call.press("*")
        assert len(call.rasa.sent) == 1 and call.session.events.empty()

    run(scenario)
