"""The REST channel every front talks to (`POST /webhooks/rest/webhook`), with the guarantees
the fronts rely on, enforced where every turn passes:

- a message longer than `MAX_MESSAGE_CHARS` is cut before NLU (NLU cost grows with length;
  100 KB once held the server for a minute) and the resident is told;
- a turn that produced no text (an action failed, the action server is down, a prediction
  matched nothing) still gets an apology that says nothing was done, never silence;
- two needs in one message ("低保怎么申请？另外想约个助浴") are taken one after the other; when
  the first opens a form, the second is named back to the resident instead of being fed to
  the form as an answer;
- only a front holding its own key (`X-Linli-Front-Key`, from var/linli.env; see
  `common/fronts.py`) is heard: a post without a key that matches gets 401 before any NLU.
  The sender id is put in that front's namespace (`tg:`, `call:`, `host:`, `rest:`) and
  `metadata.channel` is set from the key, whatever the client sent, so no front can speak in
  another resident's conversation or claim another channel. The turn's intent comes back in
  `X-Linli-Intent`, so fronts never need Rasa's HTTP API (and its token).

Registered in `bot/credentials.yml` under this class's path; the URL stays Rasa's `rest` one.
"""

import asyncio
import hmac
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter, Histogram
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.tracker_store import RedactingTrackerStore
from common.fronts import (
    FRONT_KEY_HEADER,
    INTENT_HEADER,
    RECORD_CHANNELS,
    REST_KEY_VARIABLES,
    Front,
    namespaced,
)
from common.metrics import TURN_BUCKETS, exposition, may_scrape

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
# The backend keeps sender ids up to 128 characters, the front's prefix included.
MAX_SENDER_CHARS = 120
TOO_LONG_NOTE = "您的消息太长了，我先看了前面{limit}个字。内容多的话，请分几次发给我。"
# Said when the turn behind produced no text: honest about what happened (nothing was filed
# by this turn), and where to turn now.
NO_ANSWER_APOLOGY = (
    "抱歉，系统刚才出了点问题，您这句话还没有办成。请稍后再说一遍，"
    "或者说“转人工”找工作人员；如果有紧急情况，请直接拨打120或110。"
)


SECOND_NEED_LATER = "您还提到：“{need}”。这件事等这边办完，请再跟我说一声，我接着帮您。"
# Where residents join a second need to the first: after a pause mark, 另外/还有/顺便/对了.
SECOND_NEED_MARKER = re.compile(
    r"[，,。；;！!？?\s]+(?:另外|还有(?:个事|一件事|件事|就是)?|顺便(?:问一下|问问|说一下)?|对了|此外)"
    r"[，,：:\s]*"
)
# Intents that are a need of their own (a greeting or a thank-you after 还有 is not).
NEEDS = frozenset(
    {
        "ask_policy", "check_eligibility", "apply_aid", "book_service", "check_status",
        "cancel_booking", "give_feedback", "request_human", "report_hardship",
    }
)  # fmt: skip
MIN_NEED_CHARS = 4
OUTBOUND_FIELD_CHARS = 32
CALLER_DIGITS = 20

# Scraped at /webhooks/rest/metrics with the metrics token (issue 15). `outcome`: answered,
# apology (the turn produced no text), failed (the turn raised: lock store, tracker store or
# action server down).
TURNS = Counter("linli_rasa_turns_total", "Residents' messages answered", ["front", "outcome"])
TURN_SECONDS = Histogram(
    "linli_rasa_turn_seconds", "A message's whole turn, actions included", ["front"],
    buckets=TURN_BUCKETS,
)  # fmt: skip
CUT_MESSAGES = Counter("linli_rasa_cut_messages_total", "Messages cut to the length cap", ["front"])


async def split_needs(agent: Any, text: str) -> list[str]:
    """`[text]`, or `[first, second]` when the message carries two different needs. An
    emergency anywhere in it keeps the message whole: it must be read as one."""
    match = SECOND_NEED_MARKER.search(text)
    if agent is None or match is None:
        return [text]
    first, second = text[: match.start()].strip(), text[match.end() :].strip()
    if len(first) < MIN_NEED_CHARS or len(second) < MIN_NEED_CHARS:
        return [text]
    whole, one, two = [await agent.parse_message(part) for part in (text, first, second)]
    if whole["intent"].get("name") == "emergency":
        return [text]
    readings = [
        (parsed["intent"].get("name"), parsed["intent"].get("confidence", 0))
        for parsed in (one, two)
    ]
    if all(name in NEEDS and confidence >= 0.5 for name, confidence in readings):
        return [first, second]
    return [text]


def capped(text: str | None) -> tuple[str, bool]:
    """The message as NLU may see it, and whether it was cut."""
    text = text or ""
    if len(text) <= MAX_MESSAGE_CHARS:
        return text, False
    return text[:MAX_MESSAGE_CHARS], True


def with_reply_guarantees(messages: list[dict[str, Any]], cut: bool) -> list[dict[str, Any]]:
    """The turn's messages, preceded by the length note when the message was cut, and never
    without text."""
    replies = list(messages)
    if not any(str(message.get("text") or "").strip() for message in replies):
        replies.append({"text": NO_ANSWER_APOLOGY})
    if cut:
        replies.insert(0, {"text": TOO_LONG_NOTE.format(limit=MAX_MESSAGE_CHARS)})
    return replies


def outbound_plan(given: Any) -> dict[str, str] | None:
    """The call plan the voice bridge sends with `/outbound_call`, as short strings."""
    plan = given.get("outbound") if isinstance(given, dict) else None
    if not isinstance(plan, dict):
        return None
    return {
        key: str(plan[key])[:OUTBOUND_FIELD_CHARS]
        for key in ("purpose", "call", "salutation", "policy")
        if isinstance(plan.get(key), str | int)
    }


def call_facts(given: Any) -> dict[str, Any] | None:
    """What the voice bridge knows of the call and Rasa's actions need: the caller's number (a
    callback is filed with it) and whether a human line can take a transfer."""
    call = given.get("call") if isinstance(given, dict) else None
    if not isinstance(call, dict):
        return None
    caller = call.get("caller")
    return {
        "caller": re.sub(r"\D", "", caller)[:CALLER_DIGITS] if isinstance(caller, str) else "",
        "human_line": call.get("human_line") is True,
    }


def front_of(keys: Mapping[Front, str], given: str) -> Front | None:
    """The front whose key was given, compared in constant time with every key; None for no
    key, a wrong key, or a front that has no key configured."""
    found: Front | None = None
    for front, key in keys.items():
        if key and hmac.compare_digest(given.encode(), key.encode()):
            found = front
    return found


async def no_form_open(agent: Any, sender_id: str) -> bool:
    """Whether the resident's conversation has no form open, so a second need can be taken now;
    False when the tracker cannot be read (the second need is then named back, not lost)."""
    try:
        tracker = await agent.processor.get_tracker(sender_id)
    except Exception:
        log.exception("could not read the tracker of sender %s", sender_id)
        return False
    return tracker.active_loop_name is None


async def latest_intent(agent: Any, sender_id: str) -> str | None:
    """The intent of the conversation's latest message, or None when it cannot be read. The
    redacting store remembers it from the turn's save; any other store is asked for the tracker."""
    if agent is None:
        return None
    store = getattr(agent, "tracker_store", None)
    # Rasa wraps the configured store (AwaitableTrackerStore).
    store = getattr(store, "_tracker_store", store)
    try:
        if isinstance(store, RedactingTrackerStore):
            name = store.latest_intent(sender_id)
        else:
            tracker = await agent.processor.get_tracker(sender_id)
            name = (tracker.latest_message.intent or {}).get("name")
    except Exception:
        log.exception("could not read the latest intent of sender %s", sender_id)
        return None
    return name if isinstance(name, str) and name.isascii() else None


class LinliRestInput(RestInput):
    def __init__(self, front_keys: Mapping[Front, str] | None = None) -> None:
        self.front_keys: dict[Front, str] = {
            front: key for front, key in (front_keys or {}).items() if key
        }

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "LinliRestInput":
        """Each front's key from the environment (`make run` passes var/linli.env), unless
        credentials.yml names one (`telegram: …`). With no key at all every post is refused."""
        given = credentials or {}
        keys = {
            front: str(given.get(front.value) or os.environ.get(variable) or "")
            for front, variable in REST_KEY_VARIABLES.items()
        }
        channel = cls(keys)
        if not channel.front_keys:
            log.error("no front keys (%s): the REST channel refuses every post", ", ".join(
                REST_KEY_VARIABLES.values()
            ))  # fmt: skip
        return channel

    def blueprint(self, on_new_message: Any) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def metrics(request: Request) -> HTTPResponse:
            if not may_scrape(request.headers.get("authorization")):
                return response.text("metrics token required\n", status=401)
            body, content_type = exposition()
            return response.raw(body, content_type=content_type)

        async def receive(request: Request) -> HTTPResponse:
            front = front_of(self.front_keys, request.headers.get(FRONT_KEY_HEADER) or "")
            if front is None:
                return response.json({"error": f"missing or wrong {FRONT_KEY_HEADER}"}, status=401)
            try:
                body = request.json if isinstance(request.json, dict) else {}
            except Exception:  # Sanic raises on a body that is not JSON
                body = {}
            sender_id = namespaced(front, str(body.get("sender") or "default")[:MAX_SENDER_CHARS])
            raw = body.get("message")
            text, cut = capped(raw if isinstance(raw, str) else None)
            # Only what the key vouches for: a client's own metadata is not passed on, except
            # the voice bridge's: the plan of a call it placed (actions/outbound.py checks it)
            # and the call's facts (the caller's number for a callback, a human line).
            metadata: dict[str, Any] = {"channel": RECORD_CHANNELS[front], "front": front.value}
            if front == Front.voice and (plan := outbound_plan(body.get("metadata"))):
                metadata["outbound"] = plan
            if front == Front.voice and (call := call_facts(body.get("metadata"))):
                metadata["call"] = call
            agent: Any = getattr(request.app.ctx, "agent", None)
            collector = CollectingOutputChannel()
            started = time.perf_counter()
            failed = False

            async def turn(words: str) -> None:
                nonlocal failed
                try:
                    await on_new_message(
                        UserMessage(
                            words, collector, sender_id, input_channel=self.name(),
                            metadata=metadata,
                        )
                    )  # fmt: skip
                except (Exception, asyncio.CancelledError):
                    # Whatever failed (or timed out), the resident still gets an answer below.
                    failed = True
                    log.exception("turn failed for sender %s", sender_id)

            try:
                needs = await split_needs(agent, text)
            except Exception:
                log.exception("could not look for a second need for sender %s", sender_id)
                needs = [text]
            await turn(needs[0])
            if len(needs) == 2:
                if not failed and await no_form_open(agent, sender_id):
                    await turn(needs[1])
                else:
                    collector.messages.append({"text": SECOND_NEED_LATER.format(need=needs[1])})
            headers: dict[str, str] = {}
            # After a failed turn the remembered intent is the previous message's: say none.
            if not failed and (intent := await latest_intent(agent, sender_id)):
                headers[INTENT_HEADER] = intent
            replies = with_reply_guarantees(collector.messages, cut)
            apologised = any(reply.get("text") == NO_ANSWER_APOLOGY for reply in replies)
            outcome = "failed" if failed else "apology" if apologised else "answered"
            TURNS.labels(front.value, outcome).inc()
            TURN_SECONDS.labels(front.value).observe(time.perf_counter() - started)
            if cut:
                CUT_MESSAGES.labels(front.value).inc()
            return response.json(replies, headers=headers)

        webhook.add_route(health, "/", methods=["GET"])
        webhook.add_route(metrics, "/metrics", methods=["GET"])
        webhook.add_route(receive, "/webhook", methods=["POST"])
        return webhook
