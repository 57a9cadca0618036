"""The console's pages without a browser: login, rights, forms and the pieces they are built
from (the browser tests in tests/console drive the same pages in Chromium). Over 300 lines:
one module for all pages, so the shared login and sample records are set up once."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.console.charts import Bar, horizontal_bars, stacked_columns
from api.console.host import read_out_text
from api.console.pages.providers import light_reasons
from api.console.queue import QueueFilters, QueueItem
from api.providers import service as provider_rules
from api.providers.schemas import ProviderStanding, TrafficLight
from common.livestream import group_by_answer, split_batch
from tests.api.support import CASE, book, console_login, serve


def test_pages_need_a_staff_login(client: TestClient, staff_headers: dict[str, str]) -> None:
    assert client.get("/console/", follow_redirects=False).headers["location"] == "/console/login"
    assert console_login(client, password="wrong password") == 401
    provider = client.post("/api/v1/providers", json={"name": "安心家政"}, headers=staff_headers)
    worker = {"username": "li", "password": "li-walks-the-canal", "role": "provider_worker"}
    created = client.post(
        "/api/v1/staff-users",
        json={**worker, "provider_id": provider.json()["id"]},
        headers=staff_headers,
    )
    assert created.status_code == 201, created.text
    assert console_login(client, "li", "li-walks-the-canal") == 403
    assert client.get("/console/", follow_redirects=False).status_code == 303
    assert console_login(client) == 303
    page = client.get("/console/")
    assert page.status_code == 200 and "待办队列" in page.text


def test_case_form_moves_the_case_and_refuses_a_rejection_without_reason(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    console_login(client)
    refused = client.post("/console/cases/A000001/transition", data={"to_status": "rejected"})
    assert refused.status_code == 422 and "必须填写原因" in refused.text
    skipped = client.post("/console/cases/A000001/transition", data={"to_status": "paid"})
    assert skipped.status_code == 409 and "请刷新页面后再试" in skipped.text
    moved = client.post(
        "/console/cases/A000001/transition", data={"to_status": "accepted", "comment": "已核实"}
    )
    assert moved.status_code == 200 and "已改为“已受理”" in moved.text
    case = client.get("/api/v1/cases/A000001", headers=staff_headers).json()
    assert case["status"] == "accepted" and case["events"][-1]["comment"] == "已核实"
    assert client.get("/console/cases/A999999").status_code == 404


def test_the_queue_names_an_emergency_kind_even_one_without_a_word_yet(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    for danger in ("gas_fire_poison", "a_kind_added_later"):
        filed = client.post(
            "/api/v1/handoffs",
            json={"channel": "voice", "reason": "emergency", "danger": danger},
            headers=channel_headers,
        )
        assert filed.status_code == 201, filed.text
    console_login(client)
    page = client.get("/console/").text
    assert "紧急求助·燃气、火灾或中毒" in page and "紧急求助·a_kind_added_later" in page


def test_queue_filters() -> None:
    now = datetime.now(UTC)

    def item(kind: str, status: str, age: int, urgent: bool, is_open: bool = True) -> QueueItem:
        return QueueItem(
            kind, "X", "t", status, "s", now - timedelta(days=age), age, urgent, is_open, None
        )

    items = [
        item("case", "case:submitted", 1, False),
        item("case", "case:paid", 40, False, is_open=False),
        item("need", "need:open", 10, True),
        item("handoff", "handoff:open", 0, True),
    ]

    def kept(**filters: str) -> list[str]:
        parsed = QueueFilters.parse(
            **{"kind": "", "status": "open", "age": "", "urgency": "", **filters}
        )
        return [i.status for i in items if parsed.keep(i)]

    assert kept() == ["case:submitted", "need:open", "handoff:open"]
    assert kept(status="all", kind="case") == ["case:submitted", "case:paid"]
    assert kept(status="all", age="31-") == ["case:paid"]
    assert kept(age="8-30") == ["need:open"]
    assert kept(urgency="normal") == ["case:submitted"]
    assert kept(kind="nonsense", status="nonsense") == kept()


def test_charts_carry_every_value() -> None:
    bars = horizontal_bars("mix", "服务构成", [Bar("助洁", 3, "60%"), Bar("助餐", 2, "40%")], "单")
    assert 'data-label="助洁" data-value="3"' in bars and "3单（60%）" in bars
    assert 'role="img"' in bars and "<title" in bars
    columns = stacked_columns(
        "weekly", "每周", ["11-16周", "11-23周"], {"电话": [0, 2], "聊天": [1, 1]}
    )
    assert columns.count('class="segment"') == 3  # a zero draws nothing
    assert 'data-total="3"' in columns and 'data-total="1"' in columns


def test_read_out_text_names_askers_once_per_answer() -> None:
    questions = split_batch("张阿姨：高龄津贴多少钱\n@李大爷 高龄津贴多少钱\n高龄津贴多少钱\n股票")
    groups = group_by_answer(
        questions, ["每月100元", "每月100元", "每月100元", "请换个说法"], [True, True, True, False]
    )
    text = read_out_text("第12场", groups)
    assert text.splitlines()[0] == "第12场：本场共4个提问"
    assert "1. 张阿姨、李大爷等3位观众问：高龄津贴多少钱\n答：每月100元" in text
    assert "2. 观众问：股票\n答：这个问题我们会后由社工一对一回复。" in text


def test_case_page_tells_the_household_timeline_in_chinese(
    client: TestClient,
    channel_headers: dict[str, str],
    staff_headers: dict[str, str],
    worker: dict[str, str],
    provider: dict[str, Any],
) -> None:
    """Every kind of entry households.service writes is rewritten: no English left over."""
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    client.post(
        "/api/v1/cases/A000001/transitions",
        json={"status": "accepted", "comment": "已核实"},
        headers=staff_headers,
    )
    served = book(client, channel_headers, service="zhujie")
    serve(client, served, staff_headers, worker, provider["id"])
    rated = client.post(
        f"/api/v1/bookings/{served}/rate",
        json={"rating": 2, "text": "不干净", "is_complaint": True},
        headers=staff_headers,
    )
    assert rated.status_code == 200, rated.text
    cancelled = book(client, channel_headers, service="zhucan")
    client.post(
        f"/api/v1/bookings/{cancelled}/cancel", json={"reason": "住院了"}, headers=staff_headers
    )
    resident_id = client.get(f"/api/v1/bookings/{served}", headers=staff_headers).json()[
        "resident_id"
    ]
    report = client.post(
        "/api/v1/need-reports",
        json={"channel": "voice", "sender_id": "call-1", "text": "需要助浴"},
        headers=staff_headers,
    ).json()
    client.patch(
        f"/api/v1/need-reports/{report['number']}",
        json={"resident_id": resident_id},
        headers=staff_headers,
    )
    client.post(
        "/api/v1/handoffs",
        json={
            "channel": "voice",
            "phone": CASE["phone"].replace(" ", ""),
            "reason": "emergency",
            "danger": "falls",
            "last_message": "摔倒了",
        },
        headers=channel_headers,
    )
    console_login(client)
    page = client.get("/console/cases/A000001").text
    timeline = page[page.index('<ol class="timeline">') :]
    for chinese in (
        "通过网页聊天申请最低生活保障",
        "已提交 → 已受理（admin）：已核实",
        "预约助洁",
        "派单给 w-zhang",
        "服务人员到达（有照片）",
        "服务完成：打扫了厨房和卫生间",
        "2/5 不干净",
        "已取消：住院了",
        "待回访：回访：",
        "［待处理］需要助浴",
        "紧急求助（跌倒）：摔倒了",
    ):
        assert chinese in timeline, (chinese, timeline)
    english = {"applied", "booked", "dispatched", "checked", "cancelled", "scheduled", "via"}
    assert not english & set(re.findall(r"[a-z]+", timeline)), timeline
    assert "通过网页聊天提交" in page and "filed via" not in page


def test_provider_board_says_why_in_chinese() -> None:
    yellow = ProviderStanding(
        light=TrafficLight.yellow,
        reasons=[],
        window_days=90,
        ratings=3,
        average_rating=3.5,
        complaints=1,
    )
    assert light_reasons(yellow) == [
        "近90天投诉1次（1次起为黄灯）",
        "近90天3次评分平均3.5分（低于4.0分为黄灯）",
    ]
    green = ProviderStanding(
        light=TrafficLight.green,
        reasons=[],
        window_days=90,
        ratings=0,
        average_rating=None,
        complaints=0,
    )
    assert light_reasons(green) == ["近90天投诉0次、评分0次"]


def test_every_page_renders_for_a_logged_in_worker(
    client: TestClient, channel_headers: dict[str, str], provider: dict[str, Any]
) -> None:
    client.post("/api/v1/cases", json=CASE, headers=channel_headers)
    console_login(client)
    for path in (
        "/",
        "/cases/A000001",
        "/bookings",
        "/callbacks",
        "/needs",
        "/providers",
        "/charts",
        "/host",
    ):
        page = client.get(f"/console{path}")
        assert page.status_code == 200, (path, page.text)
    assert "绿灯" in client.get("/console/providers").text


def test_host_follow_up_reports_each_flagged_question_once(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    console_login(client)
    batch = {
        "session_id": "0a1b2c3d",
        "title": "第12场",
        "text": ["高龄津贴多少钱", "家里没人照顾"],
        "viewer": ["张阿姨", ""],
        "contact": ["13800138000", ""],
        "answer": ["每月100元", "请换个说法"],
        "understood": ["1", "0"],
    }
    first = client.post("/console/host/follow-up", data={**batch, "follow_up": ["1"]})
    assert first.status_code == 200 and "已生成需求上报：N000001" in first.text
    # The page sends the flagged question back as reported: flagging another adds one report.
    again = client.post(
        "/console/host/follow-up", data={**batch, "follow_up": ["0"], "reported": ["1"]}
    )
    assert "已生成需求上报：N000002" in again.text
    reports = client.get("/api/v1/need-reports", headers=staff_headers).json()
    assert len(reports) == 2
    by_sender = {report["sender_id"]: report for report in reports}
    assert "联系方式 13800138000" in by_sender["host-0a1b2c3d-1"]["text"]
    assert "未留联系方式" in by_sender["host-0a1b2c3d-2"]["text"]
    assert by_sender["host-0a1b2c3d-1"]["channel"] == "livestream"
    assert all(report["needs_home_visit"] for report in reports)
    exported = client.post("/console/host/export", data=batch)
    assert exported.text.startswith("第12场：本场共2个提问")


def test_host_console_files_the_same_report_as_the_livestream_api(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    """One wording for both fronts: the console's report equals the one Telegram files."""
    console_login(client)
    batch = {
        "session_id": "0a1b2c3d",
        "title": "第12场",
        "text": ["家里老人没人照顾", "股票能买吗"],
        "viewer": ["张阿姨", ""],
        "contact": ["13800138000", ""],
        "answer": ["可以申请居家养老上门服务", ""],
        "understood": ["1", "0"],
        "follow_up": ["0", "1"],
    }
    page = client.post("/console/host/follow-up", data=batch)
    assert page.status_code == 200 and "N000001" in page.text and "N000002" in page.text
    follow_ups = [
        {
            "sender_id": f"host-0a1b2c3d-{n + 1}",
            "question": batch["text"][n],
            "answer": batch["answer"][n],
            "viewer": batch["viewer"][n] or None,
            "contact": batch["contact"][n] or None,
            "session_title": "第12场",
        }
        for n in range(2)
    ]
    via_api = client.post(
        "/api/v1/need-reports/livestream", json=follow_ups, headers=channel_headers
    )
    assert via_api.status_code == 201, via_api.text
    fields = ("channel", "sender_id", "text", "needs_home_visit", "urgent", "source_detail")
    reports = client.get("/api/v1/need-reports", headers=staff_headers).json()
    by_number = {report["number"]: report for report in reports}
    for console_number, api_number in (("N000001", "N000003"), ("N000002", "N000004")):
        from_console, from_api = by_number[console_number], by_number[api_number]
        assert {f: from_console[f] for f in fields} == {f: from_api[f] for f in fields}
        assert from_console["needs_home_visit"] is True
    assert by_number["N000002"]["text"].endswith("助手回答：（未回答）")


def test_provider_board_applies_the_thresholds_of_the_providers_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standing = ProviderStanding(
        light=TrafficLight.yellow,
        reasons=[],
        window_days=90,
        ratings=3,
        average_rating=3.5,
        complaints=1,
    )
    monkeypatch.setattr(provider_rules, "RED_COMPLAINTS", 1)
    monkeypatch.setattr(provider_rules, "YELLOW_AVERAGE", 3.5)
    assert light_reasons(standing) == ["近90天投诉1次（1次起为红灯）"]
    monkeypatch.setattr(provider_rules, "RED_COMPLAINTS", 3)
    monkeypatch.setattr(provider_rules, "YELLOW_COMPLAINTS", 2)
    assert light_reasons(standing) == ["近90天投诉1次、评分3次，平均3.5分"]
