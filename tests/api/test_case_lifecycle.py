from typing import Any

from fastapi.testclient import TestClient

from tests.api.support import CASE, create_account


def move(client: TestClient, headers: dict[str, str], status: str, **extra: str) -> Any:
    return client.post(
        "/api/v1/cases/A000001/transitions", json={"status": status, **extra}, headers=headers
    )


def test_full_lifecycle_with_roles_times_and_comments(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    social_worker_headers: dict[str, str],
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    steps = [
        (social_worker_headers, "accepted", "材料齐全，已受理"),
        (social_worker_headers, "under_review", "已入户调查"),
        (staff_headers, "approved", "公示无异议"),
        (staff_headers, "paid", "已发放"),
    ]
    for headers, status, comment in steps:
        response = move(client, headers, status, comment=comment)
        assert response.status_code == 200, response.text
    case = client.get("/api/v1/cases/A000001", headers=staff_headers).json()
    assert case["status"] == "paid"
    history = [(e["from_status"], e["to_status"], e["actor"]) for e in case["events"]]
    assert history == [
        (None, "submitted", "api_key:action-server"),
        ("submitted", "accepted", "staff:sw-li"),
        ("accepted", "under_review", "staff:sw-li"),
        ("under_review", "approved", "staff:admin"),
        ("approved", "paid", "staff:admin"),
    ]
    assert case["events"][1]["comment"] == "材料齐全，已受理"
    assert all(e["at"] for e in case["events"])
    # The channel sees the status for its own conversation.
    own = client.get(
        "/api/v1/cases", params={"sender_id": "conv-1"}, headers=channel_headers
    ).json()
    assert own[0]["status"] == "paid"


def test_invalid_transitions_are_refused_with_what_is_allowed(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    skipped = move(client, staff_headers, "approved")
    assert skipped.status_code == 409
    detail = skipped.json()["detail"]
    assert "cannot move to approved" in detail and "accepted, rejected" in detail
    assert move(client, staff_headers, "bogus").status_code == 422
    assert move(client, staff_headers, "submitted").status_code == 409


def test_rejection_needs_a_reason_and_is_final(
    client: TestClient, channel_headers: dict[str, str], social_worker_headers: dict[str, str]
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    no_reason = move(client, social_worker_headers, "rejected")
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json()["detail"]
    rejected = move(client, social_worker_headers, "rejected", reason="户籍不在本街道")
    assert rejected.json()["rejection_reason"] == "户籍不在本街道"
    again = move(client, social_worker_headers, "accepted")
    assert again.status_code == 409
    assert "none (final)" in again.json()["detail"]


def test_wrong_roles_cannot_move_cases(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    social_worker_headers: dict[str, str],
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    assert move(client, channel_headers, "accepted").status_code == 403
    provider = client.post("/api/v1/providers", json={"name": "幸福家政"}, headers=staff_headers)
    worker = create_account(client, staff_headers, "w-zhang", "provider_worker",
                            provider.json()["id"])  # fmt: skip
    assert move(client, worker, "accepted").status_code == 403
    move(client, social_worker_headers, "accepted")
    move(client, social_worker_headers, "under_review")
    # Approval is the street office's (admin's) decision, not the social worker's.
    refused = move(client, social_worker_headers, "approved")
    assert refused.status_code == 403
    assert "social_worker" in refused.json()["detail"]
    case = client.get("/api/v1/cases/A000001", headers=staff_headers).json()
    assert case["status"] == "under_review"


def test_channel_reads_only_its_own_case(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    own = client.get(
        "/api/v1/cases/A000001", params={"sender_id": "conv-1"}, headers=channel_headers
    )
    assert own.status_code == 200
    other = client.get(
        "/api/v1/cases/A000001", params={"sender_id": "conv-2"}, headers=channel_headers
    )
    assert other.status_code == 404  # another resident's case: not even its existence
    assert client.get("/api/v1/cases/A000001", headers=channel_headers).status_code == 403


def test_bad_status_filter_is_422(client: TestClient, staff_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/cases", params={"status": "nope"}, headers=staff_headers)
    assert response.status_code == 422
    listed = client.get("/api/v1/cases", params={"status": "submitted"}, headers=staff_headers)
    assert listed.status_code == 200
