"""One resident talking to Rasa's REST channel as a plain REST front (with its key)."""

import uuid
from typing import Any

import httpx


class Conversation:
    """The sender is named as Rasa keeps it, in the front's namespace (`rest:…`), so the
    backend's records carry the same id. Give `sender` (without the namespace) to go on with a
    conversation, for example after a restart."""

    def __init__(self, rasa_url: str, headers: dict[str, str], sender: str | None = None) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.headers = headers
        self.sender = f"rest:{sender or 'e2e-' + uuid.uuid4().hex[:8]}"

    def say(self, text: str, timeout: float = 30) -> str:
        response = httpx.post(
            self.url,
            json={"sender": self.sender, "message": text},
            headers=self.headers,
            timeout=timeout,
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return "\n".join(str(message.get("text", "")) for message in messages)
