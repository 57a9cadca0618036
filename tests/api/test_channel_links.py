"""A chat linked to a resident by phone number finds the resident's records made elsewhere."""

from fastapi.testclient import TestClient
from httpx import Response

from tests.api.support import booking


def link(client: TestClient, headers: dict[str, str], sender_id: str, phone: str) -> Response:
    return client.post(
        "/api/v1/residents/link-channel",
        json={"channel": "telegram", "sender_id": sender_id, "phone": phone, "name": "王秀英"},
        headers=headers,
    )


def test_a_linked_chat_lists_the_residents_bookings_from_other_conversations(
    client: TestClient,
    channel_headers: dict[str, str],
    telegram_headers: dict[str, str],
    staff_headers: dict[str, str],
) -> None:
    made = client.post(
        "/api/v1/bookings", json=booking(sender_id="voice-call-1"), headers=channel_headers
    )
    assert made.status_code == 201, made.text
    before = client.get("/api/v1/bookings?sender_id=tg:9001", headers=channel_headers).json()
    assert before == []

    linked = link(client, telegram_headers, "tg:9001", "13800138000")
    assert linked.status_code == 200, linked.text
    resident_id = linked.json()["resident_id"]
    detail = client.get(f"/api/v1/residents/{resident_id}", headers=staff_headers).json()
    assert detail["telegram_id"] == "tg:9001" and detail["phone"] == "13800138000"
    after = client.get("/api/v1/bookings?sender_id=tg:9001", headers=channel_headers).json()
    assert [b["number"] for b in after] == [made.json()["number"]]
    assert client.get("/api/v1/cases?sender_id=tg:9001", headers=channel_headers).json() == []
    # Another chat still sees nothing of hers.
    assert client.get("/api/v1/bookings?sender_id=tg:9002", headers=channel_headers).json() == []


def test_relinking_moves_the_chat_and_a_new_number_creates_the_resident(
    client: TestClient, telegram_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    first = link(client, telegram_headers, "tg:9001", "13800138000").json()
    second = link(client, telegram_headers, "tg:9001", "13900001111").json()
    assert first["resident_id"] != second["resident_id"]
    residents = client.get("/api/v1/residents", headers=staff_headers).json()
    assert sorted(r["phone"] for r in residents) == ["13800138000", "13900001111"]
    old = client.get(f"/api/v1/residents/{first['resident_id']}", headers=staff_headers).json()
    assert old["telegram_id"] is None
    # Linking again is harmless.
    assert link(client, telegram_headers, "tg:9001", "13900001111").status_code == 200


def test_bad_links_are_refused(
    client: TestClient,
    channel_headers: dict[str, str],
    telegram_headers: dict[str, str],
    staff_headers: dict[str, str],
) -> None:
    assert link(client, telegram_headers, "tg:9001", "12345").status_code == 422
    assert link(client, {}, "tg:9001", "13800138000").status_code == 401
    # Only the Telegram front links chats, and only its own (tg:) chats.
    assert link(client, channel_headers, "tg:9001", "13800138000").status_code == 403
    assert link(client, staff_headers, "tg:9001", "13800138000").status_code == 403
    assert link(client, telegram_headers, "9001", "13800138000").status_code == 403
    # The channel is the key's: the Telegram key cannot claim another.
    voice = client.post(
        "/api/v1/residents/link-channel",
        json={"channel": "voice", "sender_id": "tg:x", "phone": "13800138000"},
        headers=telegram_headers,
    )
    assert voice.status_code == 403
