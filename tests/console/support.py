"""What the console browser tests and the screenshot script share: sample data put in through
the backend's API, Debian's Chromium driven by Playwright, and logging in through the form."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from testsupport.servers import Backend

CHROMIUM = Path(os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium"))
WORKER_PASSWORD = "worker-password-1"
# Pages of the worker console and their headings: every one is audited and photographed.
PAGES = {
    "queue": ("/console/", "待办队列"),
    "case": ("/console/cases/A000001", "救助申请 A000001"),
    "bookings": ("/console/bookings", "派单"),
    "callbacks": ("/console/callbacks", "今日回访"),
    "outbound": ("/console/outbound", "外呼回访"),
    "needs": ("/console/needs", "需求上报"),
    "providers": ("/console/providers", "服务商红黄绿灯"),
    "charts": ("/console/charts", "统计图表"),
    "host": ("/console/host", "直播答疑"),
    "dead_letters": ("/console/dead-letters", "未送达的请求"),
}
HOST_BATCH = """1. 张阿姨：高龄津贴一个月能领多少钱 13800138000
2. @李大爷 高龄津贴一个月能领多少钱？
3. 帮我推荐一只能涨的股票
4. 王奶奶：低保怎么申请"""


@dataclass(frozen=True)
class Sample:
    case: str  # a submitted aid application in a household
    booking: str  # a booking waiting for dispatch (助洁)
    worker: str  # a provider worker who may take it
    good_provider: str
    warned_provider: str


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, f"{response.request.method} {response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def seed(staff: httpx.Client) -> Sample:
    """A small but lively district: applications, bookings on several channels, a provider
    with a complaint (yellow), a callback due, an urgent need and an emergency hand-off."""
    now = datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).replace(microsecond=0).isoformat()
    household = _ok(
        staff.post("/households", json={"name": "王秀英户", "address": "幸福小区3号楼201"})
    )
    resident = _ok(
        staff.post(
            "/residents",
            json={"name": "王秀英", "phone": "13800138000", "household_id": household["id"]},
        )
    )
    case = _ok(
        staff.post(
            "/cases",
            json={
                "policy": "dibao",
                "applicant_name": "王秀英",
                "phone": "13800138000",
                "description": "老伴去世，一人独居，无固定收入。",
                "channel": "voice",
            },
        )
    )
    for name, phone, policy, channel in [
        ("李强", "13900001111", "gaoling_jintie", "chat"),
        ("赵桂兰", "13700002222", "dibao", "telegram"),
    ]:
        _ok(
            staff.post(
                "/cases",
                json={"policy": policy, "applicant_name": name, "phone": phone, "channel": channel},
            )
        )
    good = _ok(
        staff.post("/providers", json={"name": "安心家政", "service_codes": ["zhujie", "zhuyu"]})
    )
    warned = _ok(staff.post("/providers", json={"name": "邻家助餐", "service_codes": ["zhucan"]}))
    for username, provider in (("li_ayi", good), ("zhou_shifu", warned)):
        _ok(
            staff.post(
                "/staff-users",
                json={
                    "username": username,
                    "password": WORKER_PASSWORD,
                    "role": "provider_worker",
                    "provider_id": provider["id"],
                },
            )
        )
    bookings = [
        _ok(
            staff.post(
                "/bookings",
                json={
                    "service": service,
                    "scheduled_at": tomorrow,
                    "address": "幸福小区3号楼201",
                    "phone": "13800138000",
                    "channel": channel,
                    "note": note,
                },
            )
        )
        for service, channel, note in [
            ("zhujie", "voice", "厨房和卫生间"),
            ("zhujie", "chat", ""),
            ("zhujie", "telegram", ""),
            ("zhuyu", "voice", "需两人协助"),
            ("zhucan", "chat", "少盐"),
        ]
    ]
    # The meal was served and the resident complained: the canteen goes yellow, and a callback
    # is due (the check-out schedules one for tomorrow; this one is due today).
    meal = bookings[-1]["number"]
    _ok(
        staff.post(
            f"/bookings/{meal}/dispatch", json={"provider_id": warned["id"], "worker": "zhou_shifu"}
        )
    )
    for step in ("accept", "check-in", "check-out"):
        _ok(staff.post(f"/bookings/{meal}/{step}", json={}))
    _ok(
        staff.post(
            f"/bookings/{meal}/rate", json={"rating": 2, "text": "饭菜凉了", "is_complaint": True}
        )
    )
    _ok(
        staff.post(
            "/callbacks",
            json={
                "resident_id": resident["id"],
                "due_at": now.isoformat(),
                "purpose": "回访：独居老人近况",
            },
        )
    )
    _ok(
        staff.post(
            "/need-reports",
            json={
                "channel": "voice",
                "sender_id": "call-7",
                "text": "邻居说楼下刘大爷两天没出门，电话没人接",
                "urgent": True,
                "needs_home_visit": True,
            },
        )
    )
    _ok(
        staff.post(
            "/handoffs",
            json={
                "channel": "voice",
                "phone": "13600003333",
                "reason": "emergency",
                "last_message": "我老伴摔倒了起不来",
            },
        )
    )
    return Sample(
        case=case["number"],
        booking=bookings[0]["number"],
        worker="li_ayi",
        good_provider=good["name"],
        warned_provider=warned["name"],
    )


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright downloads no browser of its own here)."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/setup-system.sh installs chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # Root (CI) has no user namespace sandbox; containers often have a tiny /dev/shm.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, backend: Backend) -> None:
    page.goto(f"{backend.url}/console/login")
    page.get_by_label("用户名").fill(backend.admin_username)
    page.get_by_label("密码").fill(backend.admin_password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{backend.url}/console/")


def answer_batch(page: Page, backend: Backend, batch: str = HOST_BATCH) -> None:
    page.goto(f"{backend.url}/console/host")
    page.get_by_label("本场直播").fill("小红船直播 第12场")
    page.get_by_label("观众提问").fill(batch)
    page.get_by_role("button", name="请助手逐条回答").click()
    page.wait_for_selector("#read-out", timeout=120_000)
