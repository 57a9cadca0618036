"""The case backend as the voice channel sees it: call records, turns, handoffs. A backend
failure is logged and never breaks the call in progress."""

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


class BackendClient:
    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self.enabled = bool(api_key)
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/api/v1",
            headers={"X-API-Key": api_key},
            timeout=timeout_s,
        )

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        try:
            response = await self._http.post(path, json=payload)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body
        except (httpx.HTTPError, ValueError) as error:
            log.error("backend %s failed: %r", path, error)
            return None

    async def start_call(self, call_id: str, transport: str, caller_number: str | None) -> None:
        payload: dict[str, Any] = {"call_id": call_id, "transport": transport}
        if caller_number:
            payload["caller_number"] = caller_number
        await self._post("/calls", payload)

    async def add_turn(
        self, call_id: str, turn: int, transcript: str, intent: str | None, bot_text: str,
        latency_ms: int | None,
    ) -> None:  # fmt: skip
        await self._post(
            f"/calls/{call_id}/turns",
            {"turn": turn, "transcript": transcript[:4000], "intent": intent,
             "bot_text": bot_text[:4000], "latency_ms": latency_ms},
        )  # fmt: skip

    async def end_call(self, call_id: str, outcome: str) -> None:
        await self._post(f"/calls/{call_id}/end", {"outcome": outcome})

    async def create_handoff(
        self, conversation_id: str, reason: str, phone: str | None, last_message: str
    ) -> str | None:
        """Files the handoff for the caller's conversation (`call:…`, the session's own id);
        its number, or None when the backend did not take it."""
        payload: dict[str, Any] = {
            "channel": "voice", "sender_id": conversation_id, "reason": reason,
            "last_message": last_message[:4000],
        }  # fmt: skip
        if phone:
            payload["phone"] = phone
        body = await self._post("/handoffs", payload)
        return str(body["number"]) if body and "number" in body else None

    async def aclose(self) -> None:
        await self._http.aclose()
