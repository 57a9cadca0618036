from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.id_numbers import check_character, mask_id_number, validate_id_number
from api.settings import ApiSettings

CONSENT_TEXT = "为了办理申请，我们需要记录您的身份证号，只用于本次申请，您同意吗？"


def id_number(first_17: str = "32090219450312002") -> str:
    return first_17 + check_character(first_17)


VALID = id_number()
CASE = {
    "policy": "gaoling_jintie",
    "applicant_name": "王秀英",
    "phone": "13800138000",
    "channel": "chat",
    "sender_id": "conv-id",
}


def test_known_valid_number_and_x_check_character() -> None:
    assert validate_id_number("11010519491231002X") == "11010519491231002X"
    assert validate_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1234", "18 characters"),
        ("11010519491231002A", "18 characters"),
        ("110105194912310021", "checksum"),
        (id_number("11010519491331002"), "date of birth"),  # month 13
        (id_number("11010518000101002"), "date of birth"),  # born 1800
        (id_number("11010521000101002"), "date of birth"),  # born in the future
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_id_number(value, today=date(2026, 1, 1))


def test_mask_keeps_four_and_four() -> None:
    assert mask_id_number("320102194503120021") == "3201**********0021"


def grant(client: TestClient, headers: dict[str, str], granted: bool = True) -> None:
    response = client.post(
        "/api/v1/consents",
        json={
            "channel": "chat",
            "sender_id": "conv-id",
            "purpose": "id_number",
            "granted": granted,
            "text_shown": CONSENT_TEXT,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["granted"] is granted
    assert set(response.json()) >= {"id", "granted", "recorded_at"}


def test_id_number_without_consent_is_refused_and_nothing_written(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/cases", json={**CASE, "id_number": VALID}, headers=channel_headers
    )
    assert response.status_code == 409
    assert "consent" in response.json()["detail"]
    grant(client, channel_headers, granted=False)  # a "no" is not consent
    response = client.post(
        "/api/v1/cases", json={**CASE, "id_number": VALID}, headers=channel_headers
    )
    assert response.status_code == 409
    assert client.get("/api/v1/cases", headers=staff_headers).json() == []
    assert client.get("/api/v1/residents", headers=staff_headers).json() == []


def test_consent_of_another_conversation_does_not_count(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    grant(client, channel_headers)
    other = {**CASE, "sender_id": "conv-other", "id_number": VALID}
    assert client.post("/api/v1/cases", json=other, headers=channel_headers).status_code == 409


def test_withdrawn_consent_stops_collection(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    grant(client, channel_headers)
    grant(client, channel_headers, granted=False)
    response = client.post(
        "/api/v1/cases", json={**CASE, "id_number": VALID}, headers=channel_headers
    )
    assert response.status_code == 409


def test_invalid_id_number_is_422_even_with_consent(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    grant(client, channel_headers)
    bad = client.post(
        "/api/v1/cases", json={**CASE, "id_number": "320902194503120029"}, headers=channel_headers
    )
    if VALID == "320902194503120029":  # pragma: no cover - guard the fixture itself
        pytest.fail("fixture number collides")
    assert bad.status_code == 422
    assert "checksum" in bad.text


def test_id_number_stored_encrypted_masked_everywhere_and_revealed_only_to_admin(
    client: TestClient,
    settings: ApiSettings,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    social_worker_headers: dict[str, str],
) -> None:
    grant(client, channel_headers)
    created = client.post(
        "/api/v1/cases", json={**CASE, "id_number": VALID}, headers=channel_headers
    )
    assert created.status_code == 201, created.text
    masked = f"{VALID[:4]}**********{VALID[-4:]}"
    assert created.json()["id_number"] == masked
    assert VALID not in created.text
    own = client.get(
        "/api/v1/cases", params={"sender_id": "conv-id"}, headers=channel_headers
    ).json()
    assert own[0]["id_number"] == masked
    case = client.get("/api/v1/cases/A000001", headers=social_worker_headers)
    assert case.json()["id_number"] == masked
    resident_id = case.json()["resident_id"]
    resident = client.get(f"/api/v1/residents/{resident_id}", headers=social_worker_headers)
    assert resident.json()["id_number"] == masked
    # Only an admin who asks explicitly sees it in clear.
    refused = client.get(
        f"/api/v1/residents/{resident_id}",
        params={"reveal_id_number": True},
        headers=social_worker_headers,
    )
    assert refused.status_code == 403
    revealed = client.get(
        f"/api/v1/residents/{resident_id}", params={"reveal_id_number": True}, headers=staff_headers
    )
    assert revealed.json()["id_number"] == VALID
    case_revealed = client.get(
        "/api/v1/cases/A000001", params={"reveal_id_number": True}, headers=staff_headers
    )
    assert case_revealed.json()["id_number"] == VALID
    # At rest: neither the number nor its digits appear in the residents table.
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM residents")).one()
    engine.dispose()
    assert all(VALID not in str(value) for value in row)
    # Every change and reveal is audited, without the value itself.
    audit = client.get("/api/v1/audit", headers=staff_headers).json()
    actions = {(entry["action"], entry["subject"], entry["fields"]) for entry in audit}
    assert ("write", f"resident:{resident_id}", "id_number") in actions
    assert ("reveal", f"resident:{resident_id}", "id_number") in actions
    assert ("reveal", "case:A000001", "id_number") in actions
    assert any(entry["action"] == "read" and entry["actor"] == "staff:sw-li" for entry in audit)
    assert VALID not in str(audit)
    assert client.get("/api/v1/audit", headers=social_worker_headers).status_code == 403


def test_same_id_number_cannot_belong_to_two_residents(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    grant(client, channel_headers)
    first = client.post("/api/v1/cases", json={**CASE, "id_number": VALID}, headers=channel_headers)
    assert first.status_code == 201
    other = {**CASE, "phone": "13900001111", "id_number": VALID}
    response = client.post("/api/v1/cases", json=other, headers=channel_headers)
    assert response.status_code == 409
    assert "another resident" in response.json()["detail"]


def test_staff_record_id_numbers_only_with_consent(
    client: TestClient, social_worker_headers: dict[str, str]
) -> None:
    resident = {"name": "李建国", "phone": "13700001111", "id_number": VALID}
    refused = client.post("/api/v1/residents", json=resident, headers=social_worker_headers)
    assert refused.status_code == 409
    assert "consent" in refused.json()["detail"]
    created = client.post(
        "/api/v1/residents",
        json={**resident, "id_number_consent": True},
        headers=social_worker_headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["id_number"].startswith("3209****")


def test_without_a_key_id_numbers_are_refused_not_stored_in_clear(
    client: TestClient, settings: ApiSettings, channel_headers: dict[str, str]
) -> None:
    settings.id_number_key = None
    grant(client, channel_headers)
    response = client.post(
        "/api/v1/cases", json={**CASE, "id_number": VALID}, headers=channel_headers
    )
    assert response.status_code == 503
    assert "LINLI_API_ID_NUMBER_KEY" in response.json()["detail"]
    # Cases without an ID number still work.
    assert client.post("/api/v1/cases", json=CASE, headers=channel_headers).status_code == 201


def test_an_invalid_id_number_is_never_echoed_back(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    grant(client, channel_headers)
    wrong = VALID[:-1] + ("0" if VALID[-1] != "0" else "1")
    response = client.post(
        "/api/v1/cases", json={**CASE, "id_number": wrong}, headers=channel_headers
    )
    assert response.status_code == 422 and "checksum" in response.text
    assert wrong not in response.text
    # A body that fails as a whole does not echo the number either.
    response = client.post(
        "/api/v1/cases", json={**CASE, "id_number": wrong, "phone": "1"}, headers=channel_headers
    )
    assert response.status_code == 422 and wrong not in response.text


def test_id_numbers_typed_into_free_text_are_masked_before_storage(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    text_with_id = f"我的身份证是{VALID}，电话13800138000"
    client.post(
        "/api/v1/handoffs",
        json={"channel": "chat", "last_message": text_with_id},
        headers=channel_headers,
    )
    client.post(
        "/api/v1/need-reports",
        json={"channel": "chat", "sender_id": "c1", "text": text_with_id},
        headers=channel_headers,
    )
    handoff = client.get("/api/v1/handoffs", headers=staff_headers).json()[0]
    report = client.get("/api/v1/need-reports", headers=staff_headers).json()[0]
    for stored in (handoff["last_message"], report["text"]):
        assert VALID not in stored and mask_id_number(VALID) in stored
        assert "13800138000" in stored  # other numbers are left alone
