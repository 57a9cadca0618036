"""Rasa's REST channel: one conversation per call, the call id as the sender id."""

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class BotReply:
    texts: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)

    async def send(self, call_id: str, text: str) -> BotReply:
        response = await self._http.post(
            "/webhooks/rest/webhook",
            json={"sender": call_id, "message": text, "metadata": {"channel": "voice"}},
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        # Buttons are for screens; on the phone the text already names the choices.
        return BotReply([str(message["text"]) for message in messages if message.get("text")])

    async def latest_intent(self, call_id: str) -> str | None:
        response = await self._http.get(
            f"/conversations/{call_id}/tracker", params={"include_events": "NONE"}
        )
        response.raise_for_status()
        intent = (response.json().get("latest_message") or {}).get("intent") or {}
        name = intent.get("name")
        return name if isinstance(name, str) else None

    async def aclose(self) -> None:
        await self._http.aclose()
