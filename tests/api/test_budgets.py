"""Service-assistance budgets: 1,000 yuan a year released 40 % / 40 % / 20 %."""

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.support import booking


@pytest.fixture
def budget(
    client: TestClient, channel_headers: dict[str, str], social_worker_headers: dict[str, str]
) -> dict[str, Any]:
    # The resident exists from a first (unpaid) booking; staff then grant the budget.
    client.post("/api/v1/bookings", json=booking(), headers=channel_headers)
    resident_id = client.get("/api/v1/residents", headers=social_worker_headers).json()[0]["id"]
    year = booking()["scheduled_at"]
    response = client.post(
        "/api/v1/budgets",
        json={"resident_id": resident_id, "year": datetime.fromisoformat(str(year)).year},
        headers=social_worker_headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def paid(client: TestClient, headers: dict[str, str], price: float, **extra: Any) -> Any:
    return client.post(
        "/api/v1/bookings",
        json=booking(service="zhujie", use_budget=True, price_yuan=price, **extra),
        headers=headers,
    )


def test_stage_one_releases_40_percent(budget: dict[str, Any]) -> None:
    assert budget["annual_yuan"] == 1000 and budget["stage"] == 1
    assert budget["released_yuan"] == 400 and budget["available_yuan"] == 400
    assert budget["stage_shares_percent"] == [40, 40, 20]


def test_bookings_draw_down_and_overspending_is_refused_with_figures(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    budget: dict[str, Any],
) -> None:
    assert paid(client, channel_headers, 300).status_code == 201  # festival visit
    assert paid(client, channel_headers, 100).status_code == 201  # whole-home cleaning
    refused = paid(client, channel_headers, 0.01)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "overspent" in detail and "400.00" in detail and "0.00 left" in detail
    state = client.get(f"/api/v1/budgets/{budget['id']}", headers=staff_headers).json()
    assert state["spent_yuan"] == 400 and state["available_yuan"] == 0
    # The refused booking left nothing behind.
    assert len(client.get("/api/v1/bookings", headers=staff_headers).json()) == 3


def test_next_stage_releases_more_until_the_year_is_used(
    client: TestClient,
    channel_headers: dict[str, str],
    social_worker_headers: dict[str, str],
    budget: dict[str, Any],
) -> None:
    assert paid(client, channel_headers, 400).status_code == 201
    url = f"/api/v1/budgets/{budget['id']}/next-stage"
    assert client.post(url, headers=social_worker_headers).json()["released_yuan"] == 800
    assert paid(client, channel_headers, 400).status_code == 201
    third = client.post(url, headers=social_worker_headers).json()
    assert third["released_yuan"] == 1000 and third["available_yuan"] == 200
    assert client.post(url, headers=social_worker_headers).status_code == 409
    assert paid(client, channel_headers, 200.01).status_code == 409
    assert paid(client, channel_headers, 200).status_code == 201


def test_cancelling_gives_the_money_back(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    budget: dict[str, Any],
) -> None:
    number = paid(client, channel_headers, 400).json()["number"]
    assert paid(client, channel_headers, 50).status_code == 409
    client.post(
        f"/api/v1/bookings/{number}/cancel",
        json={"reason": "住院了", "sender_id": "tg-42"},
        headers=channel_headers,
    )
    assert paid(client, channel_headers, 50).status_code == 201
    state = client.get(f"/api/v1/budgets/{budget['id']}", headers=staff_headers).json()
    assert state["spent_yuan"] == 50


def test_no_budget_or_no_price_is_refused(
    client: TestClient, channel_headers: dict[str, str], budget: dict[str, Any]
) -> None:
    stranger = paid(client, channel_headers, 10, phone="13911112222")
    assert stranger.status_code == 409 and "no service-assistance budget" in stranger.text
    no_price = client.post(
        "/api/v1/bookings",
        json=booking(service="zhujie", use_budget=True),
        headers=channel_headers,
    )
    assert no_price.status_code == 422 and "price_yuan" in no_price.text
    # The catalogue price is used when there is one (助餐 12 元).
    meal = client.post("/api/v1/bookings", json=booking(use_budget=True), headers=channel_headers)
    assert meal.status_code == 201 and meal.json()["price_yuan"] == 12


def test_budgets_are_staff_only_and_unique_per_year(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    budget: dict[str, Any],
) -> None:
    body = {"resident_id": budget["resident_id"], "year": budget["year"]}
    assert client.post("/api/v1/budgets", json=body, headers=channel_headers).status_code == 403
    assert client.post("/api/v1/budgets", json=body, headers=staff_headers).status_code == 409
    unknown = client.post(
        "/api/v1/budgets", json={**body, "resident_id": 999}, headers=staff_headers
    )
    assert unknown.status_code == 422
    listed = client.get(
        "/api/v1/budgets", params={"resident_id": budget["resident_id"]}, headers=staff_headers
    )
    assert [b["id"] for b in listed.json()] == [budget["id"]]
    assert datetime.now(UTC).year <= budget["year"]
