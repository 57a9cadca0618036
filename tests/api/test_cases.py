from fastapi.testclient import TestClient

from tests.api.support import CASE


def test_channel_files_a_case_and_staff_sees_it(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    created = client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["number"] == "A000001"
    assert case["phone"] == "13800138000"
    assert case["status"] == "submitted"
    listed = client.get("/api/v1/cases", headers=staff_headers).json()
    assert [item["number"] for item in listed] == ["A000001"]
    assert client.get("/api/v1/cases/A000001", headers=staff_headers).json() == case


def test_retry_with_same_idempotency_key_does_not_duplicate(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    headers = {**channel_headers, "Idempotency-Key": "retry-1"}
    first = client.post("/api/v1/cases", json=CASE, headers=headers).json()
    second = client.post("/api/v1/cases", json=CASE, headers=headers).json()
    assert first["number"] == second["number"]
    assert len(client.get("/api/v1/cases", headers=staff_headers).json()) == 1


def test_invalid_phone_and_unknown_policy_write_nothing(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    bad_phone = client.post(
        "/api/v1/cases", json={**CASE, "phone": "12345"}, headers=channel_headers
    )
    assert bad_phone.status_code == 422
    assert "mainland mobile" in bad_phone.text
    bad_policy = client.post(
        "/api/v1/cases", json={**CASE, "policy": "lottery"}, headers=channel_headers
    )
    assert bad_policy.status_code == 422
    assert client.get("/api/v1/cases", headers=staff_headers).json() == []
    assert client.get("/api/v1/residents", headers=staff_headers).json() == []


def test_channel_lists_only_its_own_conversation(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    client.post("/api/v1/cases", json={**CASE, "sender_id": "conv-2"}, headers=channel_headers)
    assert client.get("/api/v1/cases", headers=channel_headers).status_code == 403
    own = client.get("/api/v1/cases", params={"sender_id": "conv-2"}, headers=channel_headers)
    assert [item["number"] for item in own.json()] == ["A000002"]


def test_unknown_case_number_is_404(client: TestClient, staff_headers: dict[str, str]) -> None:
    assert client.get("/api/v1/cases/A999999", headers=staff_headers).status_code == 404
    assert client.get("/api/v1/cases/garbage", headers=staff_headers).status_code == 404
