from fastapi.testclient import TestClient


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
