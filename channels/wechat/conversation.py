"""A resident's messages, answered: within WeChat's 5-second window as the callback's own reply
(passive reply), otherwise through the customer-service API (客服消息) once the answer is ready.

- One resident's messages are answered in the order they came (a lock per OpenID); different
  residents' run side by side.
- A callback WeChat sends again (it retries up to three times) is answered once: its MsgId, or
  sender and CreateTime for events, is claimed in the shared state, and a retry gets the same
  passive reply again (WeChat did not get the first) or "success", never a second turn; only
  a retry of a callback whose process died before answering it is answered anew.
- Never silent: whatever fails behind it, the resident gets a text saying what happened."""

import asyncio
import functools
import json
import logging
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import av
import httpx

from channels.wechat import messages
from channels.wechat.binding import Binding
from channels.wechat.metrics import CALLBACKS, REPLY_SECONDS
from channels.wechat.services import Services, sender_id
from channels.wechat.wechat_api import OUT_OF_WINDOW, WechatApiError

log = logging.getLogger(__name__)

# WeChat retries a callback three times within about 15 seconds.
SEEN_TTL_S = 600
# A callback being answered is claimed this long; longer than any turn (Rasa's timeout, a
# voice message, the customer-service retries).
WORKING_TTL_S = 180
# A resident's numbered choices are kept this long.
CHOICES_TTL_S = 24 * 3600
# The passive reply is in the callback's HTTP answer; the rest of an answer follows once that
# answer has gone out (or after this long, if the response never completes).
PASSIVE_SENT_TIMEOUT_S = 10
# Callbacks whose passive reply is kept for a retry (WeChat retries within seconds).
RECENT_KEPT = 10_000
SEND_ATTEMPTS = 3
FIRST_RETRY_S = 1.0


@dataclass(frozen=True)
class Incoming:
    """One callback, as the front needs it."""

    openid: str
    # Answered once per key: MsgId, or "<openid>:<CreateTime>:<event>" for events.
    key: str
    kind: str  # text, voice, event, or what else WeChat sent (image, location …)
    text: str = ""
    media_id: str = ""
    # WeChat's own speech recognition of a voice message, when the account has it on.
    recognition: str = ""
    event: str = ""
    event_key: str = ""


@dataclass
class Answer:
    texts: list[str]
    # Said aloud as well (the resident asked for voice replies).
    spoken: str = ""


@dataclass
class _Passive:
    """The callback waiting for its answer: the first text goes back in its HTTP answer."""

    reply: asyncio.Future[str | None] = field(default_factory=asyncio.Future)
    sent: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.perf_counter)


Sender = Callable[[], Awaitable[None]]


class Conversations:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.binding = Binding(services)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task[None]] = set()
        # Recent callbacks' passive replies, for WeChat's retries of them.
        self._recent: OrderedDict[str, _Passive] = OrderedDict()
        # This process, in the claims of the callbacks it is answering.
        self._owner = uuid.uuid4().hex[:12]

    # --- the callback's side

    async def answer(self, incoming: Incoming) -> tuple[str | None, asyncio.Event | None]:
        """The passive reply (None: answer "success", the reply follows by the customer-service
        API or there is none) and an event to set once the HTTP answer has been sent."""
        if not self._claim(incoming):
            CALLBACKS.labels("again").inc()
            return await self._again(incoming)
        passive = _Passive()
        self._recent[incoming.key] = passive
        while len(self._recent) > RECENT_KEPT:
            self._recent.popitem(last=False)
        task = asyncio.create_task(self._turn(incoming, passive))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        reply, sent = await self._passive_reply(passive)
        CALLBACKS.labels("passive" if reply is not None else "customer_service").inc()
        return reply, sent

    def _claim(self, incoming: Incoming) -> bool:
        """Whether this process answers the callback: the first delivery, or a retry of one
        whose process claimed it and never finished (it died mid-turn: WeChat retries only
        what it got no answer to, and silence is worse than a second turn)."""
        state, key = self.services.state, f"seen:{incoming.key}"
        if state.claim(key, WORKING_TTL_S, f"{self._owner}:working"):
            return True
        holder = state.get(key) or ""
        owner, _, stage = holder.partition(":")
        if stage == "working" and owner != self._owner:
            log.warning(
                "callback %s: its first process never answered; answering it here", incoming.key
            )
            state.set(key, f"{self._owner}:working", WORKING_TTL_S)
            return True
        return False

    async def _passive_reply(self, passive: _Passive) -> tuple[str | None, asyncio.Event | None]:
        try:
            reply = await asyncio.wait_for(
                asyncio.shield(passive.reply), self.services.settings.passive_window_s
            )
        except TimeoutError:
            if passive.reply.done() and not passive.reply.cancelled():
                reply = passive.reply.result()
            else:
                passive.reply.cancel()  # the turn sends everything by the customer-service API
                return None, None
        except asyncio.CancelledError:
            if passive.reply.cancelled():
                return None, None  # the answer went by the customer-service API
            raise
        return reply, passive.sent

    async def _again(self, incoming: Incoming) -> tuple[str | None, asyncio.Event | None]:
        """A callback WeChat sent again: it did not get our answer. The same passive reply
        again, if this replica gave one (no second turn); otherwise nothing ("success")."""
        passive = self._recent.get(incoming.key)
        if passive is None or passive.reply.cancelled():
            log.info("callback %s delivered again: answered already", incoming.key)
            return None, None
        log.info("callback %s delivered again: the same reply again", incoming.key)
        reply, _ = await self._passive_reply(passive)
        return reply, None

    async def drain(self) -> None:
        """Wait for the turns still running (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- the turn

    def _lock(self, openid: str) -> asyncio.Lock:
        lock = self._locks.get(openid)
        if lock is None:
            lock = self._locks[openid] = asyncio.Lock()
        return lock

    async def _turn(self, incoming: Incoming, passive: _Passive) -> None:
        async with self._lock(incoming.openid):
            try:
                answer = await self._respond(incoming)
            except Exception:
                log.exception("answering %s failed", incoming.key)
                answer = Answer([messages.SORRY])
            await self._deliver(incoming.openid, answer, passive)
            self.services.state.set(f"seen:{incoming.key}", f"{self._owner}:done", SEEN_TTL_S)

    async def _deliver(self, openid: str, answer: Answer, passive: _Passive) -> None:
        texts = list(answer.texts)
        if texts and not passive.reply.done():
            REPLY_SECONDS.labels("passive").observe(time.perf_counter() - passive.started)
            passive.reply.set_result(texts.pop(0))
            try:  # the rest after the passive reply, so the resident reads them in order
                await asyncio.wait_for(passive.sent.wait(), PASSIVE_SENT_TIMEOUT_S)
            except TimeoutError:
                log.warning("the callback's answer to %s did not complete", openid)
        elif not passive.reply.done():
            passive.reply.set_result(None)
        elif texts:
            REPLY_SECONDS.labels("customer_service").observe(time.perf_counter() - passive.started)
        for text in texts:
            await self._send(
                openid, functools.partial(self.services.account.send_text, openid, text)
            )
        if answer.spoken:
            await self._speak(openid, answer.spoken)

    async def _send(self, openid: str, send: Sender) -> bool:
        """A customer-service message, tried a few times; False if WeChat never took it."""
        delay = FIRST_RETRY_S
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await send()
                return True
            except WechatApiError as error:
                if error.errcode == OUT_OF_WINDOW:
                    log.warning("%s is outside the 48-hour window: a reply was not sent", openid)
                    return False
                log.warning(
                    "customer-service send to %s failed (try %d): %s", openid, attempt, error
                )
            if attempt < SEND_ATTEMPTS:
                await asyncio.sleep(delay)  # backing off from WeChat, not waiting on a test
                delay *= 2
        log.error("a reply to %s was not delivered after %d tries", openid, SEND_ATTEMPTS)
        return False

    async def _speak(self, openid: str, text: str) -> None:
        try:
            mp3 = await self.services.voice.synthesize_mp3(text)
        except Exception:
            log.exception("speech out failed for a reply to %s", openid)
            return
        if mp3 is not None:
            await self._send(
                openid, functools.partial(self.services.account.send_voice, openid, mp3)
            )

    # --- what to answer

    async def _respond(self, incoming: Incoming) -> Answer:
        if incoming.kind == "event":
            return await self._event(incoming)
        if incoming.kind == "voice":
            heard, note = await self._hear(incoming)
            if not heard:
                return Answer([note])
            answer = await self._text(incoming.openid, heard)
            answer.texts.insert(0, note)
            return answer
        if incoming.kind == "text":
            return await self._text(incoming.openid, incoming.text)
        return Answer([messages.NOT_UNDERSTOOD_KIND])

    async def _event(self, incoming: Incoming) -> Answer:
        event = incoming.event.lower()
        if event == "subscribe":
            return Answer([messages.WELCOME])
        if event == "unsubscribe":
            # The conversation ends: Rasa forgets it, and so does the front.
            for key in ("choices", "voice", "bind"):
                self.services.state.delete(f"{key}:{incoming.openid}")
            try:
                await self.services.rasa.send(sender_id(incoming.openid), "/restart")
            except httpx.HTTPError as error:
                log.warning("could not end the conversation of %s: %s", incoming.openid, error)
            return Answer([])  # WeChat delivers nothing to someone who just left
        if event == "click":
            # A menu button's key is what pressing it says (menu.json), as if typed.
            return await self._text(incoming.openid, incoming.event_key)
        return Answer([])  # VIEW (a menu link), location reports, template receipts

    async def _hear(self, incoming: Incoming) -> tuple[str, str]:
        """The words of a voice message, and the line that tells the resident what was heard."""
        if incoming.recognition.strip():
            heard = incoming.recognition.strip()
            log.info("voice message %s: WeChat's recognition used", incoming.key)
            return heard, messages.VOICE_HEARD["wechat"].format(text=heard)
        limit = self.services.settings.max_voice_s
        try:
            audio = await self.services.account.download_media(incoming.media_id)
            heard, cut = await self.services.voice.transcribe(audio, limit)
        except WechatApiError as error:
            log.error("could not download voice message %s: %s", incoming.key, error)
            return "", messages.VOICE_UNAVAILABLE
        except av.error.FFmpegError as error:
            log.warning("an undecodable voice message %s: %s", incoming.key, error)
            return "", messages.VOICE_NOT_HEARD
        except OSError as error:  # no speech model on disk
            log.error("speech recognition unavailable: %s", error)
            return "", messages.VOICE_UNAVAILABLE
        log.info("voice message %s: Linli's recognition used", incoming.key)
        if not heard:
            return "", messages.VOICE_NOT_HEARD
        prefix = messages.VOICE_TOO_LONG.format(seconds=limit) + "\n" if cut else ""
        return heard, prefix + messages.VOICE_HEARD["linli"].format(text=heard)

    async def _text(self, openid: str, text: str) -> Answer:
        state = self.services.state
        text = text.strip()
        if not text:
            return Answer([messages.NOT_UNDERSTOOD_KIND])
        if len(text) > self.services.settings.max_relayed_chars:
            return Answer([messages.TOO_LONG])
        bound = await self.binding.handle(openid, text)
        if bound is not None:
            return Answer([bound])
        if messages.said(text, messages.VOICE_REPLIES_ON_WORDS):
            state.set(f"voice:{openid}", "on")
            return Answer([messages.VOICE_REPLIES_ON])
        if messages.said(text, messages.VOICE_REPLIES_OFF_WORDS):
            state.delete(f"voice:{openid}")
            return Answer([messages.VOICE_REPLIES_OFF])
        message = self._choice(openid, text) or text
        try:
            replies = await self.services.rasa.send(sender_id(openid), message)
        except httpx.HTTPError as error:
            log.error("Rasa did not answer %s: %r", openid, error)
            return Answer([messages.SORRY])
        texts, payloads = messages.reply_parts(replies, self.services.settings.max_reply_bytes)
        if payloads:
            state.set(f"choices:{openid}", json.dumps(payloads), CHOICES_TTL_S)
        else:
            state.delete(f"choices:{openid}")
        if not texts:
            texts = [messages.NO_ANSWER]
        spoken = "\n".join(reply.text for reply in replies if reply.text)
        return Answer(texts, spoken if state.get(f"voice:{openid}") else "")

    def _choice(self, openid: str, text: str) -> str | None:
        """The payload of the numbered choice the resident answered, if they answered one."""
        number = messages.chosen_number(text)
        if number is None:
            return None
        raw = self.services.state.get(f"choices:{openid}")
        payloads: list[str] = json.loads(raw) if raw else []
        return payloads[number - 1] if 1 <= number <= len(payloads) else None
