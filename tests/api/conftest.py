"""Backend test fixtures. Every test that uses `client` runs on SQLite and, when
LINLI_TEST_POSTGRES_URL names a server (`make test-api` starts one), on PostgreSQL too.

Migrations run once per backend into a template; each test gets a fresh copy of it."""

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from api import security
from api.db import get_engine, upgrade
from api.main import create_app
from api.prestart import seed_defaults
from api.settings import ApiSettings
from tests.api.support import (
    ACTION_KEY,
    ADMIN_PASSWORD,
    BACKENDS,
    ID_NUMBER_KEY,
    POSTGRES_URL,
    TELEGRAM_KEY,
    VOICE_KEY,
    WECHAT_KEY,
    create_account,
    login,
    postgres_admin_url,
    postgres_execute,
)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 with minimal cost: production parameters take ~0.2 s a hash on a shared CI core,
    and the tests log in hundreds of times."""
    original = security._password_hash
    security._password_hash = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024),))
    yield
    security._password_hash = original


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "linli.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("LINLI_TEST_POSTGRES_URL not set: PostgreSQL tests skipped")
    name = f"linli_template_{uuid.uuid4().hex[:8]}"
    postgres_execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield name
    postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database URL on `backend`, dropped after the test."""
    if backend == "sqlite":
        path = tmp_path / "linli.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"linli_test_{uuid.uuid4().hex[:12]}"
    postgres_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from new_database(request, request.param, tmp_path)


@pytest.fixture
def settings(database_url: str) -> ApiSettings:
    return ApiSettings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789-abcdefghijkl",
        first_staff_username="admin",
        first_staff_password=ADMIN_PASSWORD,
        action_server_api_key=ACTION_KEY,
        voice_api_key=VOICE_KEY,
        telegram_api_key=TELEGRAM_KEY,
        wechat_api_key=WECHAT_KEY,
        id_number_key=ID_NUMBER_KEY,
    )


@pytest.fixture
def client(settings: ApiSettings) -> Iterator[TestClient]:
    seed_defaults(settings)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def db_session(client: TestClient) -> Iterator[Session]:
    """A session on the test's database, for calling services directly. Commit or roll back
    before the next request: an open SQLite read would keep the app from writing."""
    app = client.app
    assert isinstance(app, FastAPI)
    with app.state.sessionmaker() as session:
        yield session


@pytest.fixture
def channel_headers() -> dict[str, str]:
    """The action server's key."""
    return {"X-API-Key": ACTION_KEY}


@pytest.fixture
def telegram_headers() -> dict[str, str]:
    return {"X-API-Key": TELEGRAM_KEY}


@pytest.fixture
def wechat_headers() -> dict[str, str]:
    return {"X-API-Key": WECHAT_KEY}


@pytest.fixture
def voice_headers() -> dict[str, str]:
    return {"X-API-Key": VOICE_KEY}


@pytest.fixture
def staff_headers(client: TestClient) -> dict[str, str]:
    """The embedded admin account."""
    return login(client, "admin", ADMIN_PASSWORD)


@pytest.fixture
def social_worker_headers(client: TestClient, staff_headers: dict[str, str]) -> dict[str, str]:
    return create_account(client, staff_headers, "sw-li", "social_worker")


@pytest.fixture
def provider(client: TestClient, staff_headers: dict[str, str]) -> dict[str, Any]:
    """An active provider of zhujie and zhucan, green for lack of feedback."""
    response = client.post(
        "/api/v1/providers",
        json={"name": "幸福家政", "phone": "13600001111", "service_codes": ["zhujie", "zhucan"]},
        headers=staff_headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def worker(
    client: TestClient, staff_headers: dict[str, str], provider: dict[str, Any]
) -> dict[str, str]:
    """The bearer headers of w-zhang, a worker of `provider`."""
    return create_account(client, staff_headers, "w-zhang", "provider_worker", provider["id"])
