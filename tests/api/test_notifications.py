"""The notifications outbox (issue 17): staff alerts and resident notices written with their
cause, claimed under a lease by the WeChat front's key alone, confirmed or offered again; a
WeChat chat linked only with a phone and the ID number on file."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.callbacks.models import Callback
from api.db import utcnow
from api.residents.models import Resident
from tests.api.support import booking, create_account

ID_NUMBER = "320902195001011238"


def claim(client: TestClient, headers: dict[str, str], *audiences: str, lease_s: int = 60) -> Any:
    response = client.post(
        "/api/v1/notifications/claim",
        json={"audiences": list(audiences), "lease_s": lease_s},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def handoff(client: TestClient, headers: dict[str, str], reason: str, **fields: Any) -> Any:
    response = client.post(
        "/api/v1/handoffs",
        json={
            "channel": "voice",
            "sender_id": "call:abc",
            "reason": reason,
            "last_message": "我摔倒了，电话13800138000",
            **fields,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_handoff_is_an_alert_claimed_once_until_confirmed(
    client: TestClient, channel_headers: dict[str, str], wechat_headers: dict[str, str]
) -> None:
    filed = handoff(client, channel_headers, "emergency")
    [alert] = claim(client, wechat_headers, "staff")
    assert alert["subject"] == filed["number"] and alert["kind"] == "emergency"
    assert "紧急" in alert["text"] and "13800138000" not in alert["text"]
    assert alert["link"] == "/console/" and alert["attempts"] == 1
    # Leased: another claimer (a second replica) does not get it.
    assert claim(client, wechat_headers, "staff") == []
    failed = client.post(
        f"/api/v1/notifications/{alert['id']}/failed",
        json={"error": "WeCom busy", "retry_in_s": 1},
        headers=wechat_headers,
    )
    assert failed.status_code == 200
    assert claim(client, wechat_headers, "resident") == []


def test_an_emergency_alert_names_the_kind_of_danger_first(
    client: TestClient, channel_headers: dict[str, str], wechat_headers: dict[str, str]
) -> None:
    """The worker on duty reads whom to send before the resident's words; a kind this backend
    has no word for yet is still an alert (never refused), named as stored, and a malformed one
    is refused."""
    filed = handoff(client, channel_headers, "emergency", danger="gas_fire_poison")
    assert filed["danger"] == "gas_fire_poison"
    handoff(client, channel_headers, "emergency", danger="a_kind_added_later")
    first, second = claim(client, wechat_headers, "staff")
    assert first["text"].startswith("【紧急】居民求助（燃气、火灾或中毒）")
    assert second["text"].startswith("【紧急】居民求助（a_kind_added_later）")
    malformed = client.post(
        "/api/v1/handoffs",
        json={"channel": "voice", "reason": "emergency", "danger": "<script>"},
        headers=channel_headers,
    )
    assert malformed.status_code == 422


def test_a_failed_notice_is_offered_again_and_a_delivered_one_never(
    client: TestClient,
    channel_headers: dict[str, str],
    wechat_headers: dict[str, str],
    db_session: Session,
) -> None:
    handoff(client, channel_headers, "requested")
    [alert] = claim(client, wechat_headers, "staff", lease_s=5)
    # The lease ran out (a sender crashed before confirming): offered again.
    from api.notifications.models import Notification

    row = db_session.get(Notification, alert["id"])
    assert row is not None
    row.not_before = utcnow() - timedelta(seconds=1)
    db_session.commit()
    [again] = claim(client, wechat_headers, "staff")
    assert again["id"] == alert["id"] and again["attempts"] == 2
    done = client.post(f"/api/v1/notifications/{alert['id']}/delivered", headers=wechat_headers)
    assert done.status_code == 200 and done.json()["delivered_at"]
    db_session.expire_all()
    row = db_session.get(Notification, alert["id"])
    assert row is not None
    row.not_before = None
    db_session.commit()
    assert claim(client, wechat_headers, "staff") == []


def test_only_the_wechat_key_claims_and_confirms(
    client: TestClient,
    channel_headers: dict[str, str],
    telegram_headers: dict[str, str],
    staff_headers: dict[str, str],
    wechat_headers: dict[str, str],
) -> None:
    for headers in (channel_headers, telegram_headers, staff_headers):
        refused = client.post(
            "/api/v1/notifications/claim", json={"audiences": ["staff"]}, headers=headers
        )
        assert refused.status_code == 403, refused.text
    # The WeChat key may do nothing else.
    assert client.post("/api/v1/handoffs", json={}, headers=wechat_headers).status_code == 403
    assert client.get("/api/v1/notifications", headers=wechat_headers).status_code == 403
    assert client.get("/api/v1/notifications", headers=staff_headers).status_code == 200


def test_an_overdue_callback_alerts_once(
    client: TestClient, wechat_headers: dict[str, str], db_session: Session
) -> None:
    resident = Resident(phone="13800138000", name="王秀英")
    db_session.add(resident)
    db_session.flush()
    db_session.add(Callback(resident_id=resident.id, due_at=utcnow() - timedelta(hours=3)))
    db_session.add(Callback(resident_id=resident.id, due_at=utcnow() + timedelta(hours=3)))
    db_session.commit()
    [alert] = claim(client, wechat_headers, "staff")
    assert alert["kind"] == "callback_overdue" and alert["subject"].startswith("CB")
    assert alert["link"] == "/console/callbacks"
    client.post(f"/api/v1/notifications/{alert['id']}/delivered", headers=wechat_headers)
    assert claim(client, wechat_headers, "staff") == []
    overdue = db_session.scalars(select(Callback).order_by(Callback.id)).all()
    assert overdue[0].overdue_alerted_at is not None and overdue[1].overdue_alerted_at is None


def link(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    return client.post(
        "/api/v1/residents/link-channel",
        json={
            "channel": "wechat",
            "sender_id": "wx:o-reader",
            "phone": "13800138000",
            "id_number": ID_NUMBER,
            "consent_text": "同意绑定",
            **fields,
        },
        headers=headers,
    )


def test_wechat_links_only_with_the_id_number_on_file_and_notices_follow(
    client: TestClient,
    staff_headers: dict[str, str],
    wechat_headers: dict[str, str],
    telegram_headers: dict[str, str],
    channel_headers: dict[str, str],
) -> None:
    # Nobody on file with this phone: refused (and no resident is created).
    assert link(client, wechat_headers).status_code == 403
    created = client.post(
        "/api/v1/residents",
        json={"phone": "13800138000", "id_number": ID_NUMBER, "id_number_consent": True},
        headers=staff_headers,
    )
    assert created.status_code == 201, created.text
    assert link(client, wechat_headers, id_number="320902195001011246").status_code == 403
    assert link(client, wechat_headers, id_number=None).status_code == 422
    assert link(client, wechat_headers, consent_text="").status_code == 422
    assert link(client, wechat_headers, sender_id="tg:1").status_code == 403
    assert link(client, telegram_headers).status_code == 403  # the channel is the key's
    linked = link(client, wechat_headers)
    assert linked.status_code == 200, linked.text
    resident_id = created.json()["id"]
    assert linked.json()["resident_id"] == resident_id
    detail = client.get(f"/api/v1/residents/{resident_id}", headers=staff_headers).json()
    assert detail["wechat_id"] == "wx:o-reader"

    # Her booking, made by phone, dispatched: a notice to her WeChat.
    made = client.post(
        "/api/v1/bookings",
        json=booking(channel="voice", sender_id="call:1", phone="13800138000"),
        headers=channel_headers,
    )
    assert made.status_code == 201, made.text
    provider = client.post(
        "/api/v1/providers",
        json={"name": "幸福家政", "phone": "13600001111", "service_codes": ["zhucan"]},
        headers=staff_headers,
    ).json()
    create_account(client, staff_headers, "w-zhang", "provider_worker", provider["id"])
    number = made.json()["number"]
    dispatched = client.post(
        f"/api/v1/bookings/{number}/dispatch",
        json={"provider_id": provider["id"], "worker": "w-zhang"},
        headers=staff_headers,
    )
    assert dispatched.status_code == 200, dispatched.text
    [notice] = claim(client, wechat_headers, "resident")
    assert notice["recipient"] == "wx:o-reader" and notice["subject"] == number
    assert notice["kind"] == "worker_assigned" and "已安排服务人员" in notice["text"]
