"""Finding 7: staff login. Failed logins are throttled per account and per address, unknown
usernames cost the same time as wrong passwords, tokens are short, refreshed, and revoked by
logout and by a password change, passwords follow a policy, and an operator can reset one."""

import os
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from testsupport.servers import APP_PYTHON, PROJECT_ROOT, Backend, backend_server

LOGIN = "/api/v1/login/access-token"


@contextmanager
def api(backend: Backend) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=backend.url, timeout=30) as client:
        yield client


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post(LOGIN, data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    """A backend of its own: the throttle's counters are per process and per address, and
    every test here logs in from 127.0.0.1."""
    with backend_server(tmp_path) as running_backend:
        yield running_backend


def test_wrong_passwords_are_throttled_even_before_the_right_one(backend: Backend) -> None:
    """20 wrong passwords and then the right one were all accepted for checking."""
    with api(backend) as client:
        refused = [login(client, "admin", f"guess-{n}").status_code for n in range(8)]
        assert refused[:5] == [401] * 5
        assert set(refused[5:]) == {429}
        throttled = login(client, "admin", backend.admin_password)
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["Retry-After"]) <= 60
        assert "access_token" not in throttled.text


def test_one_address_cannot_spray_many_accounts(backend: Backend) -> None:
    with api(backend) as client:
        codes = [login(client, f"user-{n}", "Winter2026!!").status_code for n in range(25)]
    assert codes[:20] == [401] * 20
    assert set(codes[20:]) == {429}


def test_a_right_password_after_a_typo_works_and_clears_the_account(backend: Backend) -> None:
    with api(backend) as client:
        for _ in range(3):
            assert login(client, "admin", "typo").status_code == 401
        assert login(client, "admin", backend.admin_password).status_code == 200
        for _ in range(4):
            assert login(client, "admin", "typo").status_code == 401
        assert login(client, "admin", backend.admin_password).status_code == 200


def test_unknown_usernames_take_as_long_as_wrong_passwords(tmp_path: Path) -> None:
    """216 ms for a wrong password against 4 ms for an unknown user told which accounts
    exist; the unknown user now costs a hash against a dummy."""
    generous = {
        "LINLI_API_LOGIN_LIMITS_PER_USER": "1000/minute",
        "LINLI_API_LOGIN_LIMITS_PER_ADDRESS": "1000/minute",
    }
    with backend_server(tmp_path, extra_env=generous) as backend, api(backend) as client:
        login(client, "nobody-warmup", "x")

        def seconds(username: str) -> float:
            start = time.perf_counter()
            assert login(client, username, "wrong-password").status_code == 401
            return time.perf_counter() - start

        known = statistics.median(seconds("admin") for _ in range(9))
        unknown = statistics.median(seconds(f"nobody-{n}") for n in range(9))
    assert unknown > known * 0.5, (known, unknown)


def test_tokens_are_short_refreshable_and_not_interchangeable(backend: Backend) -> None:
    with api(backend) as client:
        tokens = login(client, "admin", backend.admin_password).json()
        assert tokens["expires_in"] <= 15 * 60
        assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
        # The refresh token is no bearer token.
        assert client.get("/api/v1/me", headers=bearer(tokens["refresh_token"])).status_code == 401
        renewed = client.post(
            "/api/v1/login/refresh-token", json={"refresh_token": tokens["refresh_token"]}
        )
        assert renewed.status_code == 200
        assert client.get("/api/v1/me", headers=bearer(renewed.json()["access_token"])).is_success
        # An access token is no refresh token.
        wrong_kind = client.post(
            "/api/v1/login/refresh-token", json={"refresh_token": tokens["access_token"]}
        )
        assert wrong_kind.status_code == 401


def test_logout_revokes_access_and_refresh_tokens(backend: Backend) -> None:
    """An 8-hour JWT used to survive logout."""
    with api(backend) as client:
        tokens = login(client, "admin", backend.admin_password).json()
        other_session = login(client, "admin", backend.admin_password).json()
        headers = bearer(tokens["access_token"])
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert client.post("/api/v1/logout", headers=headers).status_code == 204
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert client.get("/api/v1/cases", headers=headers).status_code == 401
        refreshed = client.post(
            "/api/v1/login/refresh-token", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 401
        assert (
            client.get("/api/v1/me", headers=bearer(other_session["access_token"])).status_code
            == 401
        )
        # A new login works.
        again = login(client, "admin", backend.admin_password).json()
        assert client.get("/api/v1/me", headers=bearer(again["access_token"])).status_code == 200


@pytest.mark.parametrize(
    "password",
    ["pw-1234", "password1234", "qwertyuiop123", "sw-zhao", "zhaozhaozhao"],
)
def test_weak_passwords_are_refused_for_new_accounts(backend: Backend, password: str) -> None:
    with api(backend) as client:
        admin = bearer(login(client, "admin", backend.admin_password).json()["access_token"])
        created = client.post(
            "/api/v1/staff-users",
            json={"username": "sw-zhao", "password": password, "role": "social_worker"},
            headers=admin,
        )
    assert created.status_code == 422, created.text
    assert password not in created.text


def test_a_password_change_follows_the_policy_and_ends_old_sessions(backend: Backend) -> None:
    with api(backend) as client:
        admin = bearer(login(client, "admin", backend.admin_password).json()["access_token"])
        created = client.post(
            "/api/v1/staff-users",
            json={"username": "sw-zhao", "password": "river-lantern-47", "role": "social_worker"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        worker = bearer(login(client, "sw-zhao", "river-lantern-47").json()["access_token"])
        weak = client.post(
            "/api/v1/me/password",
            json={"current_password": "river-lantern-47", "new_password": "password12345"},
            headers=worker,
        )
        assert weak.status_code == 422
        changed = client.post(
            "/api/v1/me/password",
            json={"current_password": "river-lantern-47", "new_password": "quiet-harbour-93"},
            headers=worker,
        )
        assert changed.status_code == 204, changed.text
        assert client.get("/api/v1/me", headers=worker).status_code == 401
        assert login(client, "sw-zhao", "quiet-harbour-93").status_code == 200


def test_argon2_parameters_bound_the_memory_of_a_login(backend: Backend, tmp_path: Path) -> None:
    with api(backend) as client:
        assert login(client, "admin", backend.admin_password).status_code == 200
    engine = create_engine(f"sqlite:///{tmp_path / 'linli.db'}")
    with engine.connect() as connection:
        hashed = connection.execute(
            text("SELECT hashed_password FROM staff_users WHERE username = 'admin'")
        ).scalar_one()
    engine.dispose()
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_operator_resets_a_password_from_the_shell(backend: Backend, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LINLI_API_DATABASE_URL": f"sqlite:///{tmp_path / 'linli.db'}",
        "LINLI_API_SECRET_KEY": "only-the-database-is-used-here-0123456789",
    }
    with api(backend) as client:
        old = bearer(login(client, "admin", backend.admin_password).json()["access_token"])
        result = subprocess.run(
            [str(APP_PYTHON), "-m", "api.reset_password", "admin"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        new_password = result.stdout.strip()
        assert len(new_password) >= 12
        assert client.get("/api/v1/me", headers=old).status_code == 401
        assert login(client, "admin", backend.admin_password).status_code == 401
        assert login(client, "admin", new_password).status_code == 200
        unknown = subprocess.run(
            [str(APP_PYTHON), "-m", "api.reset_password", "nobody"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert unknown.returncode == 1 and "not found" in unknown.stderr
