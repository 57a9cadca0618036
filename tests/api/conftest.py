from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.db import upgrade
from api.main import create_app
from api.prestart import seed_defaults
from api.settings import ApiSettings

ACTION_KEY = "lk_test_action_server_key"
ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(
        database_url=f"sqlite:///{tmp_path / 'linli.db'}",
        secret_key="test-secret-key-0123456789-abcdefghijkl",
        first_staff_username="admin",
        first_staff_password=ADMIN_PASSWORD,
        action_server_api_key=ACTION_KEY,
    )


@pytest.fixture
def client(settings: ApiSettings) -> Iterator[TestClient]:
    upgrade(settings.database_url)
    seed_defaults(settings)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def channel_headers() -> dict[str, str]:
    return {"X-API-Key": ACTION_KEY}


@pytest.fixture
def staff_headers(client: TestClient) -> dict[str, str]:
    response = client.post(
        "/api/v1/login/access-token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
