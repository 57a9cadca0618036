from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.support import booking


def test_booking_is_created_with_all_fields(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    data = booking()
    created = client.post("/api/v1/bookings", json=data, headers=channel_headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["number"] == "B000001"
    assert body["service_code"] == "zhucan"
    assert body["address"] == "幸福小区3号楼201"
    assert body["time_text"] == "明天中午"
    assert datetime.fromisoformat(body["scheduled_at"]) == datetime.fromisoformat(
        str(data["scheduled_at"])
    )
    residents = client.get("/api/v1/residents", headers=staff_headers).json()
    assert [r["phone"] for r in residents] == ["13800138000"]


def test_bad_bookings_are_refused_with_a_reason(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    cases = [
        (booking(service="massage_chair"), "Unknown service"),
        (booking(scheduled_at=past), "in the past"),
        (booking(scheduled_at=far), "90 days"),
        (booking(scheduled_at="2026-12-01T12:00:00"), "timezone"),
        (booking(address=""), "address"),
    ]
    for data, reason in cases:
        response = client.post("/api/v1/bookings", json=data, headers=channel_headers)
        assert response.status_code == 422, data
        assert reason in response.text, response.text
    assert client.get("/api/v1/bookings", headers=staff_headers).json() == []


def test_cancel_keeps_the_reason_and_is_idempotent(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    client.post("/api/v1/bookings", json=booking(), headers=channel_headers)
    for _ in range(2):
        cancelled = client.post(
            "/api/v1/bookings/B000001/cancel",
            json={"reason": "不需要了", "sender_id": "tg-42"},
            headers=channel_headers,
        )
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["cancel_reason"] == "不需要了"


def test_handoffs_put_emergencies_first(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    for reason in ("requested", "hardship", "emergency"):
        response = client.post(
            "/api/v1/handoffs",
            json={"channel": "voice", "sender_id": f"call-{reason}", "reason": reason},
            headers=channel_headers,
        )
        assert response.status_code == 201
    queue = client.get("/api/v1/handoffs", headers=staff_headers).json()
    assert [item["reason"] for item in queue] == ["emergency", "requested", "hardship"]
    assert client.get("/api/v1/handoffs", headers=channel_headers).status_code == 403


def test_feedback_needs_a_rating_or_text(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    empty = client.post("/api/v1/feedback", json={"channel": "chat"}, headers=channel_headers)
    assert empty.status_code == 422
    rated = client.post(
        "/api/v1/feedback", json={"channel": "chat", "rating": 5}, headers=channel_headers
    )
    assert rated.status_code == 201
    assert (
        client.post(
            "/api/v1/feedback", json={"channel": "chat", "rating": 6}, headers=channel_headers
        ).status_code
        == 422
    )


def test_a_channel_cancels_only_with_the_conversation_that_booked(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    client.post("/api/v1/bookings", json=booking(), headers=channel_headers)
    anonymous = client.post(
        "/api/v1/bookings/B000001/cancel", json={"reason": "x"}, headers=channel_headers
    )
    assert anonymous.status_code == 403
