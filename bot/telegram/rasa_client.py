"""Rasa's REST channel and tracker, over the front's shared HTTP client."""

from dataclasses import dataclass, field
from typing import Any

import httpx

# Intents that mean the assistant did not answer the question but asked back.
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


class RasaClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout_s: float) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s

    async def send(self, sender_id: str, text: str) -> list[RasaMessage]:
        response = await self._http.post(
            f"{self._base_url}/webhooks/rest/webhook",
            json={"sender": sender_id, "message": text, "metadata": {"channel": "telegram"}},
            timeout=self._timeout_s,
        )
        response.raise_for_status()
        return [_message(raw) for raw in response.json() if isinstance(raw, dict)]

    async def latest_intent(self, sender_id: str) -> str | None:
        response = await self._http.get(
            f"{self._base_url}/conversations/{sender_id}/tracker",
            params={"include_events": "NONE"},
            timeout=self._timeout_s,
        )
        response.raise_for_status()
        intent = (response.json().get("latest_message") or {}).get("intent") or {}
        name = intent.get("name")
        return name if isinstance(name, str) else None


def _message(raw: dict[str, Any]) -> RasaMessage:
    buttons = [
        Button(str(button.get("title", "")), str(button["payload"]))
        for button in raw.get("buttons") or []
        if isinstance(button, dict) and button.get("payload")
    ]
    image = raw.get("image")
    return RasaMessage(
        text=str(raw.get("text") or ""),
        image=str(image) if image else None,
        buttons=buttons,
    )
