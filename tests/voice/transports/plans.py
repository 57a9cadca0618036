"""The backend's call plans as the outbound call tests drive them: residents with phones,
plans open or closed now, a call falling due as a clock would move it, the day's calls, the
worker console's pages."""

import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api.call_plans.models import OutboundCall
from api.db import utcnow
from api.settings import ApiSettings
from testsupport.servers import Backend

CONSENT = "本人同意社区每天打电话问候，说“以后别打了”就停。"
FINISHED = ("answered", "unanswered")
# What an elder who feels unwell answers (synthesised: no recording in ../shared says it).
UNWELL = "我今天不太舒服，腰疼得厉害。"


def wait_until(condition: Any, timeout: float, log: Path | None = None) -> Any:
    """Polls what the test waits for (a call's state lives in another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.3)
    detail = log.read_text()[-3000:] if log is not None else ""
    pytest.fail(f"not within {timeout} s\n{detail}")


# The backends the tests start keep the default console timezone (no settings file is read
# here: a fresh clone has no var/linli.env).
CONSOLE_TIMEZONE = ZoneInfo(ApiSettings.model_fields["console_timezone"].default)


def local_today() -> date:
    return utcnow().astimezone(CONSOLE_TIMEZONE).date()


def resident(staff: httpx.Client, name: str, phone: str) -> int:
    made = staff.post("/residents", json={"name": name, "phone": phone})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def plan(staff: httpx.Client, resident_id: int, *, open_now: bool, **fields: Any) -> int:
    hour = utcnow().astimezone(CONSOLE_TIMEZONE).hour
    if open_now:
        hours = {"calls_from": "00:00", "calls_until": "23:59", "local_time": "00:00"}
    else:  # two hours that do not hold now
        start = (hour + 2) % 24 if hour < 20 else hour - 4
        hours = {
            "calls_from": f"{start:02d}:00",
            "calls_until": f"{start + 2:02d}:00",
            "local_time": f"{start:02d}:00",
        }
    made = staff.post(
        "/call-plans",
        json={
            "resident_id": resident_id, "purpose": "wellbeing", "cadence": "daily",
            "consent_text": CONSENT, **hours, **fields,
        },
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def due_now(backend: Backend, plan_id: int) -> None:
    """The plan's waiting call falls due today, now (as if its time had come)."""
    with Session(create_engine(backend.database_url)) as session:
        for call in session.scalars(select(OutboundCall).where(OutboundCall.plan_id == plan_id)):
            if call.status == "due":
                call.due_at = utcnow() - timedelta(minutes=1)
                call.occurrence = local_today().isoformat()
        session.commit()


def calls_of(staff: httpx.Client, plan_id: int) -> list[dict[str, Any]]:
    today = staff.get("/outbound-calls", params={"day": local_today().isoformat()})
    assert today.status_code == 200, today.text
    return sorted(
        (call for call in today.json() if call["plan_id"] == plan_id),
        key=lambda call: call["try_number"],
    )


def console_page(backend: Backend, path: str) -> str:
    with httpx.Client(base_url=backend.url, timeout=10) as browser:
        form = browser.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        login = browser.post(
            "/console/login",
            data={"username": backend.admin_username, "password": backend.admin_password,
                  "csrf_token": token.group(1)},
            headers={"Origin": backend.url},
        )  # fmt: skip
        assert login.status_code == 303, login.text
        page = browser.get(path)
        assert page.status_code == 200, page.text
        return page.text
