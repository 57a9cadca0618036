from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.need_reports.models import NeedReport
from api.need_reports.schemas import LivestreamFollowUp
from api.need_reports.service import file_livestream_follow_ups

REPORT = {
    "channel": "livestream",
    "sender_id": "viewer-88",
    "text": "我家老人瘫痪在床，想问大病救助标准",
    "needs_home_visit": True,
    "source_detail": "小红船直播 第12场",
}


def test_single_report_lands_in_the_queue(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    created = client.post("/api/v1/need-reports", json=REPORT, headers=channel_headers)
    assert created.status_code == 201, created.text
    assert created.json()["number"] == "N000001" and created.json()["status"] == "open"
    queue = client.get("/api/v1/need-reports", headers=staff_headers).json()
    assert [r["number"] for r in queue] == ["N000001"]
    assert client.get("/api/v1/need-reports", headers=channel_headers).status_code == 403


def test_batch_is_all_or_nothing(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    batch = [{**REPORT, "sender_id": f"viewer-{i}", "needs_home_visit": False} for i in range(3)]
    bad = [*batch, {**REPORT, "text": ""}]
    refused = client.post("/api/v1/need-reports/batch", json=bad, headers=channel_headers)
    assert refused.status_code == 422
    assert client.get("/api/v1/need-reports", headers=staff_headers).json() == []
    created = client.post("/api/v1/need-reports/batch", json=batch, headers=channel_headers)
    assert created.status_code == 201
    assert [r["number"] for r in created.json()] == ["N000001", "N000002", "N000003"]
    empty = client.post("/api/v1/need-reports/batch", json=[], headers=channel_headers)
    assert empty.status_code == 422


def test_queue_puts_urgent_then_home_visits_first_and_follow_up_works(
    client: TestClient, channel_headers: dict[str, str], social_worker_headers: dict[str, str]
) -> None:
    reports = [
        {**REPORT, "needs_home_visit": False, "text": "问低保条件"},
        {**REPORT, "needs_home_visit": True, "text": "需要上门看看"},
        {**REPORT, "channel": "voice", "urgent": True, "text": "老人摔倒了没人管"},
    ]
    client.post("/api/v1/need-reports/batch", json=reports, headers=channel_headers)
    queue = client.get("/api/v1/need-reports", headers=social_worker_headers).json()
    assert [r["text"] for r in queue] == ["老人摔倒了没人管", "需要上门看看", "问低保条件"]
    updated = client.patch(
        "/api/v1/need-reports/N000003",
        json={"status": "following_up", "assigned_to": "sw-li", "note": "已电话联系，明天上门"},
        headers=social_worker_headers,
    )
    assert updated.status_code == 200
    assert updated.json()["follow_up_note"] == "已电话联系，明天上门"
    client.patch(
        "/api/v1/need-reports/N000003",
        json={"status": "resolved", "note": "已上门"},
        headers=social_worker_headers,
    )
    open_queue = client.get("/api/v1/need-reports", headers=social_worker_headers).json()
    assert "N000003" not in [r["number"] for r in open_queue]
    everything = client.get(
        "/api/v1/need-reports", params={"include_done": True}, headers=social_worker_headers
    ).json()
    resolved = [r for r in everything if r["number"] == "N000003"][0]
    assert resolved["follow_up_note"] == "已电话联系，明天上门\n已上门"
    missing = client.patch(
        "/api/v1/need-reports/N000003", json={"resident_id": 999}, headers=social_worker_headers
    )
    assert missing.status_code == 422
    assert (
        client.get("/api/v1/need-reports/N999999", headers=social_worker_headers).status_code == 404
    )


def test_bad_channel_is_refused(client: TestClient, channel_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/need-reports", json={**REPORT, "channel": "fax"}, headers=channel_headers
    )
    assert response.status_code == 422


def test_blank_idempotency_key_is_no_key_and_a_real_one_dedupes(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    for key in (" ", " ", "k-1", "k-1"):
        headers = {**channel_headers, "Idempotency-Key": key}
        response = client.post("/api/v1/need-reports", json=REPORT, headers=headers)
        assert response.status_code == 201, response.text
    queue = client.get("/api/v1/need-reports", headers=staff_headers).json()
    assert len(queue) == 3


FOLLOW_UP = {
    "sender_id": "tg-host-7",
    "question": "家里老人没人照顾怎么办",
    "answer": "可以申请居家养老上门服务",
    "viewer": "张阿姨",
    "contact": "13800138000",
    "session_title": "小红船直播 第12场",
}


def test_livestream_follow_ups_become_home_visit_reports_worded_by_the_backend(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    anonymous = {**FOLLOW_UP, "sender_id": "tg-host-8", "viewer": None, "contact": None}
    created = client.post(
        "/api/v1/need-reports/livestream",
        json=[FOLLOW_UP, {**anonymous, "answer": ""}],
        headers=channel_headers,
    )
    assert created.status_code == 201, created.text
    named, unnamed = created.json()
    assert [named["number"], unnamed["number"]] == ["N000001", "N000002"]
    assert named["text"] == (
        "直播观众张阿姨，联系方式 13800138000。提问：家里老人没人照顾怎么办\n"
        "助手回答：可以申请居家养老上门服务"
    )
    assert unnamed["text"] == (
        "直播观众观众，未留联系方式。提问：家里老人没人照顾怎么办\n助手回答：（未回答）"
    )
    for report in (named, unnamed):
        assert report["channel"] == "livestream" and report["needs_home_visit"] is True
        assert report["source_detail"] == "小红船直播 第12场" and report["status"] == "open"
    assert [r["sender_id"] for r in created.json()] == ["tg-host-7", "tg-host-8"]
    # Staff may file them too (the web host console is staff).
    by_staff = client.post(
        "/api/v1/need-reports/livestream", json=[FOLLOW_UP], headers=staff_headers
    )
    assert by_staff.status_code == 201 and by_staff.json()[0]["number"] == "N000003"


def test_livestream_follow_ups_are_all_or_nothing_and_need_an_intake_caller(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
) -> None:
    url = "/api/v1/need-reports/livestream"
    too_long = {**FOLLOW_UP, "question": "问" * 301}
    for bad in ([FOLLOW_UP, too_long], [FOLLOW_UP, {**FOLLOW_UP, "viewer": "张" * 41}], []):
        assert client.post(url, json=bad, headers=channel_headers).status_code == 422, bad
    assert client.get("/api/v1/need-reports", headers=staff_headers).json() == []
    assert client.post(url, json=[FOLLOW_UP]).status_code == 401
    assert client.post(url, json=[FOLLOW_UP], headers=worker).status_code == 403
    assert client.get("/api/v1/need-reports", headers=staff_headers).json() == []


def test_service_files_a_home_visit_per_follow_up_and_none_for_none(db_session: Session) -> None:
    assert file_livestream_follow_ups(db_session, items=[]) == []
    reports = file_livestream_follow_ups(
        db_session, items=[LivestreamFollowUp.model_validate(FOLLOW_UP)]
    )
    assert [(r.number, r.needs_home_visit, r.channel) for r in reports] == [
        ("N000001", True, "livestream")
    ]
    assert db_session.scalar(select(func.count()).select_from(NeedReport)) == 1
