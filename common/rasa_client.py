"""Rasa's REST channel, as every front uses it: the voice bridge, the Telegram front and the
web consoles. One conversation per sender id, in the namespace of the front's key.

A front sends its own REST channel key (`common/fronts.py`); the channel answers the turn's
intent in a header, so no front needs Rasa's HTTP API or its token."""

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import httpx

from common.fronts import FRONT_KEY_HEADER, INTENT_HEADER

# The assistant did not answer but asked back ("please say it another way").
NOT_UNDERSTOOD_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class RasaMessage:
    text: str = ""
    image: str | None = None
    buttons: list[Button] = field(default_factory=list)
    # A custom message (`json_message` of an action): for the front, never shown or said.
    custom: dict[str, Any] | None = None


def joined_text(messages: list[RasaMessage]) -> str:
    """The reply's texts as one, for a channel that cannot show buttons or images."""
    return "\n".join(message.text for message in messages if message.text).strip()


# Intents of the last turns kept per client (a phone line or a chat asks right after a turn).
REMEMBERED_INTENTS = 1024


class RasaClient:
    """Borrows the front's shared `http` client when given one; otherwise opens its own."""

    def __init__(
        self,
        base_url: str,
        *,
        front_key: str,
        timeout_s: float,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {FRONT_KEY_HEADER: front_key}
        self._timeout_s = timeout_s
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient()
        self._intents: OrderedDict[str, str | None] = OrderedDict()

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[RasaMessage]:
        body: dict[str, Any] = {"sender": sender_id, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = await self._http.post(
            f"{self._base_url}/webhooks/rest/webhook",
            json=body,
            headers=self._headers,
            timeout=self._timeout_s,
        )
        response.raise_for_status()
        self._intents[sender_id] = response.headers.get(INTENT_HEADER)
        self._intents.move_to_end(sender_id)
        while len(self._intents) > REMEMBERED_INTENTS:
            self._intents.popitem(last=False)
        return [_message(raw) for raw in response.json() if isinstance(raw, dict)]

    async def latest_intent(self, sender_id: str) -> str | None:
        """The intent of the sender's last message, as the channel answered it to `send`."""
        return self._intents.get(sender_id)

    async def answer(self, sender_id: str, text: str) -> tuple[str, bool]:
        """The reply's text, and whether the assistant understood (rather than asked back)."""
        reply = joined_text(await self.send(sender_id, text))
        intent = await self.latest_intent(sender_id)
        return reply, bool(reply) and intent not in NOT_UNDERSTOOD_INTENTS

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


def _message(raw: dict[str, Any]) -> RasaMessage:
    buttons = [
        Button(str(button.get("title", "")), str(button["payload"]))
        for button in raw.get("buttons") or []
        if isinstance(button, dict) and button.get("payload")
    ]
    image = raw.get("image")
    custom = raw.get("custom")
    return RasaMessage(
        text=str(raw.get("text") or ""),
        image=str(image) if image else None,
        buttons=buttons,
        custom=custom if isinstance(custom, dict) else None,
    )
