"""Action tests: real rasa-sdk trackers and CollectingDispatcher, and a real backend server."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

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
