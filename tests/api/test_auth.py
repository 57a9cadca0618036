import pytest
from fastapi.testclient import TestClient

from api import security
from api.auth.service import check_password_policy, generate_password
from api.errors import InvalidInputError, ServiceBusyError
from tests.api.support import ADMIN_PASSWORD, login


def test_staff_login_gives_a_working_token(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    me = client.get("/api/v1/me", headers=staff_headers)
    assert me.status_code == 200
    assert me.json() == {"kind": "staff", "name": "admin", "role": "admin"}


def test_wrong_password_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/login/access-token", data={"username": "admin", "password": "wrong"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect username or password"


def test_action_server_key_is_a_channel(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    me = client.get("/api/v1/me", headers=channel_headers)
    assert me.json() == {"kind": "api_key", "name": "action-server", "role": "channel"}


def test_unknown_api_key_and_no_credentials_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/me", headers={"X-API-Key": "lk_nope"}).status_code == 401
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["detail"]


def test_forged_token_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401


def test_login_gives_a_short_access_token_and_a_refresh_token(client: TestClient) -> None:
    tokens = client.post(
        "/api/v1/login/access-token", data={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    refreshed = client.post(
        "/api/v1/login/refresh-token", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert me.json()["name"] == "admin"


def test_logout_revokes_the_token(client: TestClient, staff_headers: dict[str, str]) -> None:
    assert client.post("/api/v1/logout", headers=staff_headers).status_code == 204
    assert client.get("/api/v1/me", headers=staff_headers).status_code == 401


def test_api_keys_do_not_log_out(client: TestClient, channel_headers: dict[str, str]) -> None:
    assert client.post("/api/v1/logout", headers=channel_headers).status_code == 403


def test_failed_logins_are_throttled_per_account(client: TestClient) -> None:
    for _ in range(5):
        wrong = client.post(
            "/api/v1/login/access-token", data={"username": "admin", "password": "wrong"}
        )
        assert wrong.status_code == 401
    throttled = client.post(
        "/api/v1/login/access-token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("password", ["short-pw", "password1234", "SW-Zhang-001"])
def test_the_password_policy_applies_to_new_accounts(
    client: TestClient, staff_headers: dict[str, str], password: str
) -> None:
    response = client.post(
        "/api/v1/staff-users",
        json={"username": "sw-zhang", "password": password, "role": "social_worker"},
        headers=staff_headers,
    )
    assert response.status_code == 422, response.text
    assert password not in response.text


def test_check_password_policy_refuses_the_username() -> None:
    with pytest.raises(InvalidInputError, match="username"):
        check_password_policy(password="sw-zhang-long-name", username="SW-ZHANG-LONG-NAME")
    check_password_policy(password=generate_password(), username="sw-zhang")


def test_a_long_passphrase_up_to_the_cap_is_judged_not_a_server_error() -> None:
    # zxcvbn alone raises ValueError past 72 characters; the fuzzer found that as a 500.
    check_password_policy(password="风吹柳絮满城飞-" * 16, username="sw-zhang")
    with pytest.raises(InvalidInputError, match="too long"):
        check_password_policy(password="x" * 129, username="sw-zhang")


def test_changing_the_password_revokes_the_old_tokens(
    client: TestClient, social_worker_headers: dict[str, str]
) -> None:
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": "pw-sw-li-123", "new_password": "lotus-bridge-at-dusk"},
        headers=social_worker_headers,
    )
    assert changed.status_code == 204, changed.text
    assert client.get("/api/v1/me", headers=social_worker_headers).status_code == 401
    wrong_current = client.post(
        "/api/v1/me/password",
        json={"current_password": "nope", "new_password": "lotus-bridge-at-dusk-2"},
        headers=login(client, "sw-li", "lotus-bridge-at-dusk"),
    )
    assert wrong_current.status_code == 401


def test_password_hashing_is_bounded_and_a_full_house_is_told_to_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parallel logins wait for one of HASHING_SLOTS instead of each taking argon2's memory;
    when none frees up in time the login is answered 503 with Retry-After, not queued."""
    monkeypatch.setattr(security, "HASHING_WAIT_S", 0.05)
    taken = [security._hashing_slots.acquire(blocking=False) for _ in range(security.HASHING_SLOTS)]
    assert all(taken)
    try:
        with pytest.raises(ServiceBusyError):
            security.verify_password("anything", "$argon2id$not-reached")
    finally:
        for _ in taken:
            security._hashing_slots.release()
    assert security.verify_password("secret-pass", security.hash_password("secret-pass"))
