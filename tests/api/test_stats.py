"""The chart endpoints behind the worker console's dashboard."""

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from api.stats import week_start, weekly_counts
from tests.api.support import CASE, booking


def test_service_mix_counts_and_shares_each_service(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    for service in ("zhujie", "zhujie", "zhujie", "zhucan"):
        created = client.post(
            "/api/v1/bookings", json=booking(service=service), headers=channel_headers
        )
        assert created.status_code == 201, created.text
    mix = client.get("/api/v1/bookings/stats/service-mix", headers=staff_headers)
    assert mix.status_code == 200, mix.text
    assert mix.json() == [
        {"code": "zhujie", "name": "助洁", "count": 3, "share": 0.75},
        {"code": "zhucan", "name": "助餐", "count": 1, "share": 0.25},
    ]
    assert (
        client.get("/api/v1/bookings/stats/service-mix", headers=channel_headers).status_code == 403
    )


def test_weekly_volume_by_channel_has_every_week_and_channel(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    client.post("/api/v1/bookings", json=booking(channel="voice"), headers=channel_headers)
    client.post("/api/v1/bookings", json=booking(channel="voice"), headers=channel_headers)
    client.post("/api/v1/bookings", json=booking(channel="chat"), headers=channel_headers)
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    volume = client.get("/api/v1/bookings/stats/weekly-volume?weeks=4", headers=staff_headers)
    assert volume.status_code == 200, volume.text
    rows = volume.json()
    assert len(rows) == 4 * 2  # four weeks, two channels, zeros included
    this_week = week_start(datetime.now(UTC).date()).isoformat()
    assert {(r["channel"], r["count"]) for r in rows if r["week_start"] == this_week} == {
        ("chat", 1),
        ("voice", 2),
    }
    cases = client.get("/api/v1/cases/stats/weekly-volume?weeks=1", headers=staff_headers).json()
    assert cases == [{"week_start": this_week, "channel": "chat", "count": 1}]


def test_weekly_counts_drop_older_records_and_start_weeks_on_monday() -> None:
    now = datetime(2026, 11, 25, 10, tzinfo=UTC)  # a Wednesday
    rows = [
        (now, "chat"),
        (now - timedelta(days=7), "voice"),
        (now - timedelta(days=30), "voice"),  # before the two weeks asked for
    ]
    counts = weekly_counts(rows, now, weeks=2)
    assert [(c.week_start, c.channel, c.count) for c in counts] == [
        (date(2026, 11, 16), "chat", 0),
        (date(2026, 11, 16), "voice", 1),
        (date(2026, 11, 23), "chat", 1),
        (date(2026, 11, 23), "voice", 0),
    ]


def test_open_cases_by_age_leave_out_finished_cases(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    client.post("/api/v1/cases", json={**CASE, "phone": "13900001111"}, headers=channel_headers)
    rejected = client.post(
        "/api/v1/cases/A000002/transitions",
        json={"status": "rejected", "reason": "不符合条件"},
        headers=staff_headers,
    )
    assert rejected.status_code == 200, rejected.text
    buckets = client.get("/api/v1/cases/stats/open-by-age", headers=staff_headers).json()
    assert buckets == [
        {"min_days": 0, "max_days": 2, "count": 1},
        {"min_days": 3, "max_days": 7, "count": 0},
        {"min_days": 8, "max_days": 30, "count": 0},
        {"min_days": 31, "max_days": None, "count": 0},
    ]
