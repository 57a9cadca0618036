"""Plain helpers and sample records the backend tests share (fixtures are in conftest.py)."""

import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

ACTION_KEY = "lk_test_action_server_key"
# The other fronts' own keys (api/auth/fronts.py).
VOICE_KEY = "lk_test_voice_key"
TELEGRAM_KEY = "lk_test_telegram_key"
WECHAT_KEY = "lk_test_wechat_key"
ADMIN_PASSWORD = "correct horse battery"
# A fixed Fernet key for tests only.
ID_NUMBER_KEY = "3q2-7wXnYt6h0pQ1a5cS8m9dLkJvZr4uBfEgHiTyUoA="
POSTGRES_URL = os.environ.get("LINLI_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]

# An aid application as a chat channel files it.
CASE = {
    "policy": "dibao",
    "applicant_name": "王秀英",
    "phone": "138 0013 8000",
    "channel": "chat",
    "sender_id": "conv-1",
}


def postgres_admin_url() -> str:
    assert POSTGRES_URL
    return POSTGRES_URL


def postgres_execute(statement: str) -> None:
    """Run one statement outside a transaction (CREATE and DROP DATABASE need that)."""
    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    """The API's bearer headers for a staff account."""
    response = client.post(
        "/api/v1/login/access-token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def console_login(
    client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD
) -> int:
    """Log the client in to the web console (a cookie); the status code of the login form.
    The login page's CSRF token is then sent with every later request, as its forms do."""
    page = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    client.headers["X-CSRF-Token"] = token.group(1)
    response = client.post(
        "/console/login",
        data={"username": username, "password": password},
        follow_redirects=False,
    )
    return response.status_code


def create_account(
    client: TestClient,
    admin: dict[str, str],
    username: str,
    role: str,
    provider_id: int | None = None,
) -> dict[str, str]:
    password = f"pw-{username}-123"
    response = client.post(
        "/api/v1/staff-users",
        json={"username": username, "password": password, "role": role, "provider_id": provider_id},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return login(client, username, password)


def booking(**overrides: object) -> dict[str, object]:
    """A booking request for tomorrow noon, as the Telegram channel sends it."""
    tomorrow_noon = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    return {
        "service": "zhucan",
        "scheduled_at": tomorrow_noon.isoformat(),
        "time_text": "明天中午",
        "address": "幸福小区3号楼201",
        "phone": "13800138000",
        "channel": "telegram",
        "sender_id": "tg-42",
        **overrides,
    }


def book(client: TestClient, headers: dict[str, str], **overrides: object) -> str:
    """Files `booking(**overrides)`; its number."""
    response = client.post("/api/v1/bookings", json=booking(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    number: str = response.json()["number"]
    return number


def serve(
    client: TestClient,
    number: str,
    staff: dict[str, str],
    worker: dict[str, str],
    provider_id: int,
) -> None:
    """Dispatch, accept, check in and check out a booking."""
    steps: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("dispatch", {"provider_id": provider_id, "worker": "w-zhang"}, staff),
        ("accept", {}, worker),
        ("check-in", {"photo_url": "https://photos.example/in.jpg"}, worker),
        ("check-out", {"report": "打扫了厨房和卫生间"}, worker),
    ]
    for step, body, headers in steps:
        response = client.post(f"/api/v1/bookings/{number}/{step}", json=body, headers=headers)
        assert response.status_code == 200, (step, response.text)
