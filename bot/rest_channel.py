"""The REST channel every front talks to (`POST /webhooks/rest/webhook`), with the guarantees
the fronts rely on, enforced where every turn passes:

- a message longer than `MAX_MESSAGE_CHARS` is cut before NLU (NLU cost grows with length;
  100 KB once held the server for a minute) and the resident is told;
- a turn that produced no text (an action failed, the action server is down, a prediction
  matched nothing) still gets an apology that says nothing was done, never silence.

Registered in `bot/credentials.yml` under this class's path; the URL stays Rasa's `rest` one.
"""

import asyncio
import logging
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
TOO_LONG_NOTE = "您的消息太长了，我先看了前面{limit}个字。内容多的话，请分几次发给我。"
# Said when the turn behind produced no text: honest about what happened (nothing was filed
# by this turn), and where to turn now.
NO_ANSWER_APOLOGY = (
    "抱歉，系统刚才出了点问题，您这句话还没有办成。请稍后再说一遍，"
    "或者说“转人工”找工作人员；如果有紧急情况，请直接拨打120或110。"
)


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


class LinliRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Any) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender_id = str(body.get("sender") or "default")
            raw = body.get("message")
            text, cut = capped(raw if isinstance(raw, str) else None)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text, collector, sender_id, input_channel=self.name(), metadata=metadata
                    )
                )
            except (Exception, asyncio.CancelledError):
                # Whatever failed (or timed out), the resident still gets an answer below.
                log.exception("turn failed for sender %s", sender_id)
            return response.json(with_reply_guarantees(collector.messages, cut))

        return webhook
