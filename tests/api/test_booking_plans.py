"""Recurring bookings: a plan and one booking per occurrence, served, charged and cancelled
one by one or for the rest of the plan."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.api.support import booking

BEIJING = ZoneInfo("Asia/Shanghai")


def next_monday_noon() -> datetime:
    today = datetime.now(BEIJING).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, 12, tzinfo=BEIJING)


def weekday_lunches(**overrides: Any) -> dict[str, Any]:
    """Every weekday noon for two weeks, from next Monday: 10 meals."""
    first = next_monday_noon()
    return booking(
        scheduled_at=first.isoformat(),
        time_text="从下周一开始每个工作日中午，两周",
        weekdays=[0, 1, 2, 3, 4],
        last_day=(first.date() + timedelta(days=13)).isoformat(),
        **overrides,
    )


def create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/booking-plans",
        json=weekday_lunches(**overrides),
        headers={**headers, "Idempotency-Key": f"plan-{overrides}"},
    )
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def test_a_plan_has_one_booking_per_occurrence(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    plan = create(client, channel_headers)
    assert plan["number"].startswith("P") and plan["occurrence_count"] == 10
    days = [
        datetime.fromisoformat(b["scheduled_at"]).astimezone(BEIJING) for b in plan["occurrences"]
    ]
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4] * 2
    assert {(d.hour, d.minute) for d in days} == {(12, 0)}
    assert {b["status"] for b in plan["occurrences"]} == {"requested"}
    assert plan["weekdays"] == [0, 1, 2, 3, 4]
    # Each occurrence is a booking of its own, listed for the conversation.
    listed = client.get(
        "/api/v1/bookings", params={"sender_id": "tg-42"}, headers=channel_headers
    ).json()
    assert {b["number"] for b in plan["occurrences"]} <= {b["number"] for b in listed}


def test_a_retried_plan_is_filed_once(client: TestClient, channel_headers: dict[str, str]) -> None:
    headers = {**channel_headers, "Idempotency-Key": "same-plan"}
    first = client.post("/api/v1/booking-plans", json=weekday_lunches(), headers=headers)
    again = client.post("/api/v1/booking-plans", json=weekday_lunches(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    plans = client.get(
        "/api/v1/booking-plans", params={"sender_id": "tg-42"}, headers=channel_headers
    ).json()
    assert len(plans) == 1


def test_one_occurrence_or_the_rest_of_the_plan_can_be_cancelled(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    plan = create(client, channel_headers)
    first, second = plan["occurrences"][0]["number"], plan["occurrences"][1]["number"]
    one = client.post(
        f"/api/v1/bookings/{second}/cancel",
        json={"reason": "那天去女儿家", "sender_id": "tg-42"},
        headers=channel_headers,
    )
    assert one.status_code == 200 and one.json()["status"] == "cancelled"
    rest = client.post(
        f"/api/v1/booking-plans/{plan['number']}/cancel",
        json={"reason": "住院了，先停", "sender_id": "tg-42"},
        headers=channel_headers,
    )
    assert rest.status_code == 200, rest.text
    assert rest.json()["status"] == "cancelled"
    assert {b["status"] for b in rest.json()["occurrences"]} == {"cancelled"}
    kept = client.get(
        f"/api/v1/bookings/{first}", params={"sender_id": "tg-42"}, headers=channel_headers
    ).json()
    assert kept["cancel_reason"] == "住院了，先停"


def test_another_conversation_cannot_see_or_cancel_the_plan(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    plan = create(client, channel_headers)
    assert (
        client.get(
            f"/api/v1/booking-plans/{plan['number']}",
            params={"sender_id": "tg-other"},
            headers=channel_headers,
        ).status_code
        == 404
    )
    refused = client.post(
        f"/api/v1/booking-plans/{plan['number']}/cancel",
        json={"reason": "x", "sender_id": "tg-other"},
        headers=channel_headers,
    )
    assert refused.status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"weekdays": []},
        {"weekdays": [7]},
        {"last_day": date(2020, 1, 1).isoformat()},
        {"last_day": (date.today() + timedelta(days=200)).isoformat()},
    ],
)
def test_an_impossible_plan_is_refused_and_leaves_nothing(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str], change: Any
) -> None:
    response = client.post(
        "/api/v1/booking-plans", json={**weekday_lunches(), **change}, headers=channel_headers
    )
    assert response.status_code == 422, response.text
    assert client.get("/api/v1/bookings", headers=staff_headers).json() == []


def test_each_occurrence_is_charged_to_the_budget(
    client: TestClient,
    channel_headers: dict[str, str],
    social_worker_headers: dict[str, str],
    staff_headers: dict[str, str],
) -> None:
    client.post("/api/v1/bookings", json=booking(), headers=channel_headers)
    resident_id = client.get("/api/v1/residents", headers=social_worker_headers).json()[0]["id"]
    budget = client.post(
        "/api/v1/budgets",
        json={"resident_id": resident_id, "year": next_monday_noon().year},
        headers=social_worker_headers,
    ).json()
    plan = create(client, channel_headers, use_budget=True, price_yuan=10)
    drawn = client.get(f"/api/v1/budgets/{budget['id']}", headers=staff_headers).json()
    assert drawn["spent_yuan"] == 10 * plan["occurrence_count"]
    cancelled = plan["occurrences"][-1]["number"]
    client.post(
        f"/api/v1/bookings/{cancelled}/cancel",
        json={"reason": "不需要了", "sender_id": "tg-42"},
        headers=channel_headers,
    )
    after = client.get(f"/api/v1/budgets/{budget['id']}", headers=staff_headers).json()
    assert after["spent_yuan"] == 10 * (plan["occurrence_count"] - 1)


def test_a_plan_the_budget_cannot_pay_whole_is_refused_whole(
    client: TestClient,
    channel_headers: dict[str, str],
    social_worker_headers: dict[str, str],
    staff_headers: dict[str, str],
) -> None:
    client.post("/api/v1/bookings", json=booking(), headers=channel_headers)
    resident_id = client.get("/api/v1/residents", headers=social_worker_headers).json()[0]["id"]
    client.post(
        "/api/v1/budgets",
        json={"resident_id": resident_id, "year": next_monday_noon().year},
        headers=social_worker_headers,
    )
    refused = client.post(
        "/api/v1/booking-plans",
        json=weekday_lunches(use_budget=True, price_yuan=50),  # 500 > the 400 released
        headers=channel_headers,
    )
    assert refused.status_code == 409, refused.text
    assert client.get("/api/v1/booking-plans", headers=staff_headers).json() == []
    assert len(client.get("/api/v1/bookings", headers=staff_headers).json()) == 1
