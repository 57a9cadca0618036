"""One household, one file (一户一档)."""

from typing import Any

from fastapi.testclient import TestClient

from tests.api.support import booking, create_account, serve


def test_household_timeline_has_everything_in_time_order(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    social_worker_headers: dict[str, str],
) -> None:
    household = client.post(
        "/api/v1/households",
        json={"name": "王秀英户", "address": "幸福小区3号楼201"},
        headers=social_worker_headers,
    ).json()
    mother = client.post(
        "/api/v1/residents",
        json={
            "name": "王秀英",
            "phone": "13800138000",
            "household_id": household["id"],
            "birth_date": "1940-05-01",
            "living_alone": False,
            "disability_level": "moderate",
        },
        headers=social_worker_headers,
    )
    assert mother.status_code == 201, mother.text
    assert mother.json()["age"] >= 85 and mother.json()["disability_level"] == "moderate"
    son = client.post(
        "/api/v1/residents",
        json={"name": "李强", "phone": "13900001111", "household_id": household["id"]},
        headers=social_worker_headers,
    )
    assert son.status_code == 201
    # Activity from several channels, for both members.
    client.post(
        "/api/v1/cases",
        json={
            "policy": "gaoling_jintie",
            "applicant_name": "王秀英",
            "phone": "13800138000",
            "channel": "voice",
            "sender_id": "call-1",
        },
        headers=channel_headers,
    )
    client.post(
        "/api/v1/cases/A000001/transitions",
        json={"status": "accepted"},
        headers=social_worker_headers,
    )
    number = client.post(
        "/api/v1/bookings", json=booking(service="zhujie"), headers=channel_headers
    ).json()["number"]
    provider = client.post(
        "/api/v1/providers", json={"name": "幸福家政"}, headers=staff_headers
    ).json()
    worker = create_account(client, staff_headers, "w-zhang", "provider_worker", provider["id"])
    serve(client, number, staff_headers, worker, provider["id"])
    client.post(
        f"/api/v1/bookings/{number}/rate",
        json={"rating": 4, "sender_id": "tg-42", "channel": "telegram"},
        headers=channel_headers,
    )
    client.post(
        "/api/v1/need-reports",
        json={"channel": "chat", "sender_id": "c-9", "text": "儿子失业了"},
        headers=channel_headers,
    )
    client.patch(
        "/api/v1/need-reports/N000001",
        json={"resident_id": son.json()["id"]},
        headers=social_worker_headers,
    )
    client.post(
        "/api/v1/handoffs",
        json={"channel": "voice", "phone": "13900001111", "reason": "callback"},
        headers=channel_headers,
    )
    callback = client.get("/api/v1/callbacks", headers=staff_headers).json()[0]
    client.post(
        f"/api/v1/callbacks/{callback['id']}/record",
        json={"reached": True, "note": "满意"},
        headers=staff_headers,
    )

    response = client.get(
        f"/api/v1/households/{household['id']}/timeline", headers=social_worker_headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert [m["name"] for m in body["household"]["members"]] == ["王秀英", "李强"]
    kinds = [item["kind"] for item in body["items"]]
    for kind in (
        "case",
        "case_status",
        "booking",
        "booking_status",
        "visit",
        "rating",
        "callback",
        "need_report",
        "handoff",
    ):
        assert kind in kinds, kind
    times = [item["at"] for item in body["items"]]
    assert times == sorted(times)
    # Staff only.
    url = f"/api/v1/households/{household['id']}/timeline"
    assert client.get(url, headers=channel_headers).status_code == 403
    assert client.get(url, headers=worker).status_code == 403
    assert client.get("/api/v1/households/999/timeline", headers=staff_headers).status_code == 404


def test_resident_updates_are_checked_and_audited(
    client: TestClient, staff_headers: dict[str, str], social_worker_headers: dict[str, str]
) -> None:
    first = client.post(
        "/api/v1/residents", json={"phone": "13800138000"}, headers=social_worker_headers
    ).json()
    client.post("/api/v1/residents", json={"phone": "13900001111"}, headers=social_worker_headers)
    taken = client.patch(
        f"/api/v1/residents/{first['id']}",
        json={"phone": "13900001111"},
        headers=social_worker_headers,
    )
    assert taken.status_code == 409
    no_household = client.patch(
        f"/api/v1/residents/{first['id']}", json={"household_id": 77}, headers=social_worker_headers
    )
    assert no_household.status_code == 422
    changed = client.patch(
        f"/api/v1/residents/{first['id']}",
        json={"assistance_status": "dibao", "telegram_id": "tg-1"},
        headers=social_worker_headers,
    )
    assert changed.json()["assistance_status"] == "dibao"
    audit = client.get(
        "/api/v1/audit", params={"subject": f"resident:{first['id']}"}, headers=staff_headers
    ).json()
    assert any(e["action"] == "write" and e["fields"] == "assistance_status" for e in audit)
    assert client.get("/api/v1/residents/2147483648", headers=staff_headers).status_code == 422
