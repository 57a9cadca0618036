"""End-to-end: the real backend, action server and Rasa server, talking HTTP on loopback."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testsupport.servers import Stack, staff_client


class Conversation:
    """One resident talking to Rasa's REST channel as a plain REST front (with its key). The
    sender is named as Rasa keeps it, in the front's namespace (`rest:…`), so the backend's
    records carry the same id."""

    def __init__(self, rasa_url: str, headers: dict[str, str]) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.headers = headers
        self.sender = f"rest:e2e-{uuid.uuid4().hex[:8]}"

    def say(self, text: str) -> str:
        response = httpx.post(
            self.url,
            json={"sender": self.sender, "message": text},
            headers=self.headers,
            timeout=30,
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return "\n".join(str(message.get("text", "")) for message in messages)


@pytest.fixture
def conversation(stack: Stack) -> Conversation:
    return Conversation(stack.rasa_url, stack.front_headers())


@pytest.fixture
def staff(stack: Stack) -> Iterator[httpx.Client]:
    with staff_client(stack.backend) as client:
        yield client
