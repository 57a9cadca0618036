"""Booking dispatch lifecycle, provider workers, callbacks and the provider traffic light.

One module (over 300 lines) because the steps build on each other in order: dispatch,
accept, check in, check out, callback, rating, the light they feed."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import StaffUser
from api.bookings.dispatching import eligible_workers
from api.feedback.models import Feedback
from api.providers.models import Provider
from tests.api.support import book, console_login, create_account, serve


def test_full_dispatch_lifecycle(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    number = book(client, channel_headers, service="zhujie")
    serve(client, number, staff_headers, worker, provider["id"])
    served = client.get(f"/api/v1/bookings/{number}", headers=worker).json()
    assert served["status"] == "checked_out"
    assert served["worker_username"] == "w-zhang" and served["provider_id"] == provider["id"]
    assert served["check_in_photo_url"] == "https://photos.example/in.jpg"
    stamps = [
        served[k] for k in ("dispatched_at", "accepted_at", "checked_in_at", "checked_out_at")
    ]
    assert all(stamps) and stamps == sorted(stamps)
    # The worker's own order list.
    assert [b["number"] for b in client.get("/api/v1/bookings", headers=worker).json()] == [number]
    # A callback (回访) was scheduled; it is recorded with the resident's rating.
    callbacks = client.get(
        "/api/v1/callbacks", params={"status": "scheduled"}, headers=staff_headers
    ).json()
    assert len(callbacks) == 1 and callbacks[0]["booking_id"] is not None
    # The resident rates through the chat (评单).
    rated = client.post(
        f"/api/v1/bookings/{number}/rate",
        json={"rating": 5, "text": "很满意", "channel": "telegram", "sender_id": "tg-42"},
        headers=channel_headers,
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "rated" and rated.json()["rating"] == 5
    recorded = client.post(
        f"/api/v1/callbacks/{callbacks[0]['id']}/record",
        json={"reached": True, "note": "老人说打扫得很干净"},
        headers=staff_headers,
    )
    assert recorded.json()["status"] == "done"
    again = client.post(
        f"/api/v1/callbacks/{callbacks[0]['id']}/record",
        json={"reached": False},
        headers=staff_headers,
    )
    assert again.status_code == 409


def test_steps_out_of_order_are_refused(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    number = book(client, channel_headers, service="zhujie")
    early = client.post(f"/api/v1/bookings/{number}/check-in", json={}, headers=staff_headers)
    assert early.status_code == 409 and "accepted" in early.json()["detail"]
    not_served = client.post(
        f"/api/v1/bookings/{number}/rate", json={"rating": 4}, headers=staff_headers
    )
    assert not_served.status_code == 409
    serve(client, number, staff_headers, worker, provider["id"])
    late_cancel = client.post(
        f"/api/v1/bookings/{number}/cancel",
        json={"reason": "不要了", "sender_id": "tg-42"},
        headers=channel_headers,
    )
    assert late_cancel.status_code == 409


def test_workers_act_only_on_their_own_orders(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    other = create_account(client, staff_headers, "w-wang", "provider_worker", provider["id"])
    number = book(client, channel_headers, service="zhujie")
    client.post(
        f"/api/v1/bookings/{number}/dispatch",
        json={"provider_id": provider["id"], "worker": "w-zhang"},
        headers=staff_headers,
    )
    assert client.post(f"/api/v1/bookings/{number}/accept", headers=other).status_code == 403
    assert client.get(f"/api/v1/bookings/{number}", headers=other).status_code == 403
    assert client.get("/api/v1/bookings", headers=other).json() == []
    # Workers cannot dispatch, read cases or the need-report queue; channels cannot accept.
    dispatch = {"provider_id": provider["id"], "worker": "w-wang"}
    assert (
        client.post(
            f"/api/v1/bookings/{number}/dispatch", json=dispatch, headers=worker
        ).status_code
        == 403
    )
    assert client.get("/api/v1/cases", headers=worker).status_code == 403
    assert client.get("/api/v1/need-reports", headers=worker).status_code == 403
    assert (
        client.post(f"/api/v1/bookings/{number}/accept", headers=channel_headers).status_code == 403
    )


def test_dispatch_checks_the_worker_and_the_provider(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    social_worker_headers: dict[str, str],
    provider: dict[str, Any],
    worker: dict[str, str],
) -> None:
    number = book(client, channel_headers, service="zhujie")
    not_worker = client.post(
        f"/api/v1/bookings/{number}/dispatch",
        json={"provider_id": provider["id"], "worker": "sw-li"},
        headers=staff_headers,
    )
    assert not_worker.status_code == 422 and "not an active worker" in not_worker.text
    lifa = book(client, channel_headers, service="lifa")
    wrong_service = client.post(
        f"/api/v1/bookings/{lifa}/dispatch",
        json={"provider_id": provider["id"], "worker": "w-zhang"},
        headers=staff_headers,
    )
    assert wrong_service.status_code == 409 and "does not offer" in wrong_service.text
    missing = client.post(
        f"/api/v1/bookings/{number}/dispatch",
        json={"provider_id": 999, "worker": "w-zhang"},
        headers=staff_headers,
    )
    assert missing.status_code == 404


def test_channel_sees_and_cancels_only_its_own_bookings(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    number = book(client, channel_headers)  # sender tg-42
    assert (
        client.get(
            f"/api/v1/bookings/{number}", params={"sender_id": "tg-42"}, headers=channel_headers
        ).status_code
        == 200
    )
    assert (
        client.get(
            f"/api/v1/bookings/{number}", params={"sender_id": "tg-99"}, headers=channel_headers
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/bookings/{number}", headers=channel_headers).status_code == 403
    other = client.post(
        f"/api/v1/bookings/{number}/cancel",
        json={"reason": "x", "sender_id": "tg-99"},
        headers=channel_headers,
    )
    assert other.status_code == 404
    own = client.post(
        f"/api/v1/bookings/{number}/cancel",
        json={"reason": "不需要了", "sender_id": "tg-42"},
        headers=channel_headers,
    )
    assert own.json()["status"] == "cancelled"


def rate_via_feedback(
    client: TestClient,
    headers: dict[str, str],
    number: str,
    rating: int | None,
    complaint: bool = False,
) -> None:
    response = client.post(
        "/api/v1/feedback",
        json={
            "channel": "telegram",
            "sender_id": "tg-42",
            "rating": rating,
            "is_complaint": complaint,
            "text": "投诉" if complaint else "",
            "booking_number": number,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text


def light(client: TestClient, staff: dict[str, str], provider_id: int) -> dict[str, Any]:
    standing: dict[str, Any] = client.get(f"/api/v1/providers/{provider_id}", headers=staff).json()[
        "standing"
    ]
    return standing


def test_traffic_light_thresholds(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    pid = provider["id"]
    assert light(client, staff_headers, pid)["light"] == "green"
    numbers = [book(client, channel_headers, service="zhujie") for _ in range(5)]
    for number in numbers:
        serve(client, number, staff_headers, worker, pid)
    for number in numbers[:3]:
        rate_via_feedback(client, channel_headers, number, 5)
    green = light(client, staff_headers, pid)
    assert green["light"] == "green" and green["ratings"] == 3 and green["average_rating"] == 5
    # The booking rated through /feedback is closed as rated.
    assert (
        client.get(f"/api/v1/bookings/{numbers[0]}", headers=staff_headers).json()["status"]
        == "rated"
    )
    # One complaint: yellow, with the reason.
    rate_via_feedback(client, channel_headers, numbers[3], None, complaint=True)
    yellow = light(client, staff_headers, pid)
    assert yellow["light"] == "yellow" and "1 complaint" in yellow["reasons"][0]
    # Three complaints: red, and a red provider gets no new orders.
    rate_via_feedback(client, channel_headers, numbers[3], None, complaint=True)
    rate_via_feedback(client, channel_headers, numbers[4], 1, complaint=True)
    red = light(client, staff_headers, pid)
    assert red["light"] == "red" and "3 complaints" in red["reasons"][0]
    new = book(client, channel_headers, service="zhujie")
    refused = client.post(
        f"/api/v1/bookings/{new}/dispatch",
        json={"provider_id": pid, "worker": "w-zhang"},
        headers=staff_headers,
    )
    assert refused.status_code == 409 and "red" in refused.text
    # Workers see their own provider's light, not others'.
    assert client.get(f"/api/v1/providers/{pid}", headers=worker).status_code == 200
    assert client.get(f"/api/v1/providers/{pid + 1}", headers=worker).status_code == 403


def test_low_average_rating_turns_yellow_then_red(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    pid = provider["id"]
    numbers = [book(client, channel_headers, service="zhujie") for _ in range(5)]
    for number in numbers:
        serve(client, number, staff_headers, worker, pid)
    for number in numbers[:3]:
        rate_via_feedback(client, channel_headers, number, 3)
    assert light(client, staff_headers, pid)["light"] == "yellow"  # 3 ratings averaging 3.0
    for number in numbers[3:]:
        rate_via_feedback(client, channel_headers, number, 1)
    red = light(client, staff_headers, pid)
    assert red["light"] == "red" and red["average_rating"] == 2.2


def test_callback_rating_counts_and_unreached_callbacks_carry_no_rating(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    number = book(client, channel_headers, service="zhujie")
    serve(client, number, staff_headers, worker, provider["id"])
    callback = client.get("/api/v1/callbacks", headers=staff_headers).json()[0]
    bad = client.post(
        f"/api/v1/callbacks/{callback['id']}/record",
        json={"reached": False, "rating": 4},
        headers=staff_headers,
    )
    assert bad.status_code == 422
    good = client.post(
        f"/api/v1/callbacks/{callback['id']}/record",
        json={"reached": True, "rating": 4},
        headers=staff_headers,
    )
    assert good.status_code == 200
    assert client.get(f"/api/v1/bookings/{number}", headers=staff_headers).json()["rating"] == 4
    assert light(client, staff_headers, provider["id"])["ratings"] == 1


def test_console_offers_exactly_the_workers_dispatch_accepts(
    client: TestClient,
    db_session: Session,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    """eligible_workers and dispatch apply one rule: active workers of active providers that
    offer the service (an empty list offers all) and are not on red."""

    def new_provider(name: str, codes: list[str], *usernames: str) -> int:
        created = client.post(
            "/api/v1/providers", json={"name": name, "service_codes": codes}, headers=staff_headers
        )
        assert created.status_code == 201, created.text
        provider_id: int = created.json()["id"]
        for username in usernames:
            create_account(client, staff_headers, username, "provider_worker", provider_id)
        return provider_id

    everything = new_provider("全能服务社", [], "w-all")
    canteen = new_provider("助餐点", ["zhucan"], "w-meal", "w-gone")
    warned = new_provider("红灯家政", ["zhujie"], "w-red")
    closed = new_provider("停业家政", ["zhujie"], "w-closed")
    db_session.get_one(Provider, closed).is_active = False
    db_session.scalars(
        select(StaffUser).where(StaffUser.username == "w-gone")
    ).one().is_active = False
    db_session.add_all(
        Feedback(channel="voice", provider_id=warned, is_complaint=True) for _ in range(3)
    )
    db_session.commit()

    eligible = eligible_workers(db_session, service_codes={"zhujie", "zhucan"})
    db_session.rollback()
    offered = {
        code: [(choice.provider_id, choice.username) for choice in choices]
        for code, choices in eligible.items()
    }
    assert offered == {
        "zhujie": [(everything, "w-all"), (provider["id"], "w-zhang")],
        "zhucan": [(everything, "w-all"), (canteen, "w-meal"), (provider["id"], "w-zhang")],
    }
    assert {choice.light for choices in eligible.values() for choice in choices} == {"green"}

    candidates = [
        (provider["id"], "w-zhang"),
        (everything, "w-all"),
        (canteen, "w-meal"),
        (canteen, "w-gone"),
        (warned, "w-red"),
        (closed, "w-closed"),
    ]
    for code in ("zhujie", "zhucan"):
        number = book(client, channel_headers, service=code)
        for pid, username in candidates:
            dispatched = client.post(
                f"/api/v1/bookings/{number}/dispatch",
                json={"provider_id": pid, "worker": username},
                headers=staff_headers,
            )
            assert (dispatched.status_code == 200) == ((pid, username) in offered[code]), (
                code,
                username,
                dispatched.text,
            )
    book(client, channel_headers, service="zhujie")  # waiting: the page offers its workers
    console_login(client)
    page = client.get("/console/bookings").text
    assert "全能服务社 · w-all（绿灯）" in page and "w-red" not in page and "w-gone" not in page
