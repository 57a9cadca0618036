"""End-to-end: the real backend, action server and Rasa server, talking HTTP on loopback."""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.servers import MODEL, PROJECT_ROOT, RASA_BIN, Backend, backend_server, free_port, running


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    backend: Backend


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it)")
    tmp = tmp_path_factory.mktemp("stack")
    actions_port, rasa_port = free_port(), free_port()
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
    with backend_server(tmp) as backend:
        env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "LINLI_ACTIONS_BACKEND_URL": backend.url,
            "LINLI_ACTIONS_BACKEND_API_KEY": backend.api_key,
            "LINLI_ACTIONS_OUTBOX_PATH": str(tmp / "outbox.db"),
        }
        actions = [str(RASA_BIN), "run", "actions", "--actions", "actions",
                   "--port", str(actions_port)]  # fmt: skip
        rasa = [
            str(RASA_BIN), "run", "--enable-api", "--model", str(MODEL),
            "--endpoints", str(endpoints),
            "--credentials", str(PROJECT_ROOT / "bot" / "credentials.yml"),
            "--port", str(rasa_port),
        ]  # fmt: skip
        with (
            running("actions", actions, env, f"http://127.0.0.1:{actions_port}/health", tmp),
            running("rasa", rasa, env, f"http://127.0.0.1:{rasa_port}/status", tmp, 240),
        ):
            yield Stack(rasa_url=f"http://127.0.0.1:{rasa_port}", backend=backend)


class Conversation:
    """One resident talking to Rasa's REST channel."""

    def __init__(self, rasa_url: str) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = f"e2e-{uuid.uuid4().hex[:8]}"

    def say(self, text: str) -> str:
        response = httpx.post(self.url, json={"sender": self.sender, "message": text}, timeout=30)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return "\n".join(str(message.get("text", "")) for message in messages)


@pytest.fixture
def conversation(stack: Stack) -> Conversation:
    return Conversation(stack.rasa_url)


@pytest.fixture
def staff(stack: Stack) -> Iterator[httpx.Client]:
    backend = stack.backend
    with httpx.Client(base_url=f"{backend.url}/api/v1") as client:
        token = client.post(
            "/login/access-token",
            data={"username": backend.admin_username, "password": backend.admin_password},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
