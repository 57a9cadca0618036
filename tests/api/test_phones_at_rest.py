"""Residents' phones are stored encrypted with a keyed lookup digest (api/phones.py)."""

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.id_numbers import vault_for
from api.main import create_app
from api.prestart import seed_defaults
from api.settings import ApiSettings
from tests.api.support import ACTION_KEY, ID_NUMBER_KEY, book

PHONE = "13800138000"


def test_phones_are_stored_encrypted_and_still_find_the_resident(
    client: TestClient,
    settings: ApiSettings,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
) -> None:
    first = book(client, channel_headers, phone=PHONE)
    second = book(client, channel_headers, phone="138 0013 8000", sender_id="tg-43")
    client.post(
        "/api/v1/handoffs",
        json={"channel": "chat", "sender_id": "conv-9", "phone": PHONE},
        headers={**channel_headers, "Idempotency-Key": "handoff-at-rest"},
    ).raise_for_status()
    # The same number is the same resident: found by its digest, not by decrypting rows.
    residents = client.get("/api/v1/residents", params={"phone": PHONE}, headers=staff_headers)
    assert [resident["phone"] for resident in residents.json()] == [PHONE]
    for number in (first, second):
        shown = client.get(f"/api/v1/bookings/{number}", headers=staff_headers).json()
        assert shown["phone"] == PHONE
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        rows = [
            *connection.execute(text("SELECT * FROM residents")).all(),
            *connection.execute(text("SELECT * FROM handoffs")).all(),
        ]
        digest = connection.execute(text("SELECT phone_digest FROM residents")).scalar()
    engine.dispose()
    assert all(PHONE not in str(value) for row in rows for value in row)
    assert digest == vault_for(ID_NUMBER_KEY).digest(PHONE)


def test_without_a_key_phones_are_refused_not_stored_in_clear(settings: ApiSettings) -> None:
    settings.id_number_key = None
    seed_defaults(settings)
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/handoffs",
            json={"channel": "chat", "sender_id": "conv-9", "phone": PHONE},
            headers={"X-API-Key": ACTION_KEY},
        )
    assert response.status_code == 503, response.text
    assert "LINLI_API_ID_NUMBER_KEY" in response.json()["detail"]
    assert PHONE not in response.text
