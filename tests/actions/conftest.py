"""Action tests: real rasa-sdk trackers and CollectingDispatcher, and a real backend server."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker

from actions import settings as action_settings
from testsupport.servers import PROJECT_ROOT, Backend, backend_server, staff_client


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with backend_server(tmp_path_factory.mktemp("backend")) as server:
        yield server


@pytest.fixture(autouse=True)
def action_env(backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", backend.url)
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_API_KEY", backend.api_key)
    monkeypatch.setenv("LINLI_ACTIONS_OUTBOX_PATH", str(tmp_path / "outbox.db"))
    action_settings.get_settings.cache_clear()
    yield
    action_settings.get_settings.cache_clear()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    loaded: dict[str, Any] = Domain.load(str(PROJECT_ROOT / "bot" / "domain")).as_dict()
    return loaded


@pytest.fixture
def staff(backend: Backend) -> Iterator[httpx.Client]:
    """An HTTP client logged in as the embedded default staff account."""
    with staff_client(backend) as client:
        yield client


def make_tracker(
    text: str = "",
    intent: str | None = None,
    entities: dict[str, str] | None = None,
    slots: dict[str, Any] | None = None,
    extracted: dict[str, Any] | None = None,
    sender_id: str = "test-conversation",
    active_loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker as the Rasa server sends it.

    `slots` were set earlier in the conversation; `extracted` are the slot candidates Rasa
    extracted from the latest message, which it appends after it for the form to validate.
    """
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [
            {"entity": name, "value": value, "start": 0, "end": 0}
            for name, value in (entities or {}).items()
        ],
        "metadata": metadata or {},
    }
    user_event = {
        "event": "user",
        "text": text,
        "parse_data": latest_message,
        "input_channel": "rest",
        "metadata": metadata or {},
    }

    def slot_events(values: dict[str, Any] | None) -> list[dict[str, Any]]:
        return [{"event": "slot", "name": k, "value": v} for k, v in (values or {}).items()]

    return Tracker(
        sender_id=sender_id,
        slots={**(slots or {}), **(extracted or {})},
        latest_message=latest_message,
        events=[*(events or []), *slot_events(slots), user_event, *slot_events(extracted)],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def texts(dispatcher: Any) -> str:
    return "\n".join(str(message.get("text") or "") for message in dispatcher.messages)
