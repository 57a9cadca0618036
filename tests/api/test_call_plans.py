"""Outbound call plans (issue 18): consent and calling hours, calls claimed from the table by one
bridge at a time, tries and escalation once, a late call reported, pause and resume."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.call_plans.models import OutboundCall
from api.db import utcnow
from api.settings import ApiSettings

CONSENT = "王秀英同意社区每天上午打电话问候，说“别打了”就停。"


def local_now(settings: ApiSettings) -> datetime:
    return utcnow().astimezone(ZoneInfo(settings.console_timezone))


def hours_around_now(settings: ApiSettings) -> dict[str, str]:
    """Calling hours that hold now (and a call time in them)."""
    now = local_now(settings)
    start = max(0, now.hour - 1)
    end = min(23, now.hour + 1)
    until = f"{end:02d}:59"
    return {"calls_from": f"{start:02d}:00", "calls_until": until, "local_time": f"{start:02d}:00"}


def hours_not_now(settings: ApiSettings) -> dict[str, str]:
    """Calling hours that do not hold now."""
    hour = local_now(settings).hour
    start = (hour + 2) % 24 if hour < 20 else hour - 4
    return {
        "calls_from": f"{start:02d}:00",
        "calls_until": f"{start + 1:02d}:00",
        "local_time": f"{start:02d}:00",
    }


def resident(client: TestClient, staff: dict[str, str], phone: str = "13800138000") -> int:
    made = client.post("/api/v1/residents", json={"name": "王秀英", "phone": phone}, headers=staff)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def plan(client: TestClient, staff: dict[str, str], **fields: Any) -> Any:
    response = client.post(
        "/api/v1/call-plans",
        json={"purpose": "wellbeing", "cadence": "daily", "consent_text": CONSENT, **fields},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    return response.json()


def due_now(session: Session, plan_id: int) -> None:
    """The plan's waiting call falls due (as if its time had come)."""
    session.expire_all()
    for call in session.scalars(select(OutboundCall).where(OutboundCall.plan_id == plan_id)):
        if call.status == "due":
            call.due_at = utcnow() - timedelta(minutes=1)
    session.commit()


def claim(client: TestClient, voice: dict[str, str]) -> list[Any]:
    response = client.post(
        "/api/v1/outbound-calls/claim", json={"claimer": "bridge-1"}, headers=voice
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def report(client: TestClient, voice: dict[str, str], call_id: int, **result: Any) -> Any:
    response = client.post(f"/api/v1/outbound-calls/{call_id}/result", json=result, headers=voice)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_plan_needs_consent_and_a_time_within_its_calling_hours(
    client: TestClient, staff_headers: dict[str, str], settings: ApiSettings
) -> None:
    resident_id = resident(client, staff_headers)
    base = {"resident_id": resident_id, "purpose": "wellbeing", "consent_text": CONSENT}
    refused = [
        {**base, "consent_text": ""},
        {**base, "cadence": "weekly"},  # no weekday
        {**base, "local_time": "21:30"},  # after 20:00
        {**base, "purpose": "outreach"},  # which policy?
        {**base, "calls_from": "20:00", "calls_until": "08:00"},
    ]
    for body in refused:
        response = client.post("/api/v1/call-plans", json=body, headers=staff_headers)
        assert response.status_code == 422, (body, response.text)
    made = plan(client, staff_headers, resident_id=resident_id, local_time="09:30")
    assert made["status"] == "active" and made["consent_recorded_by"] == "staff:admin"
    calls = client.get("/api/v1/call-plans", headers=staff_headers).json()
    assert [c["id"] for c in calls] == [made["id"]]


def test_unanswered_tries_are_retried_then_escalated_once(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    wechat_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    made = plan(
        client, staff_headers, resident_id=resident(client, staff_headers),
        **hours_around_now(settings), max_tries=3, retry_minutes=20,
    )  # fmt: skip
    for try_number in (1, 2, 3):
        due_now(db_session, made["id"])
        [call] = claim(client, voice_headers)
        assert call["try_number"] == try_number and call["phone"] == "13800138000"
        assert claim(client, voice_headers) == []  # leased: one claimant per call
        reported = report(client, voice_headers, call["id"], answered=False, note="无人接听")
        assert reported["status"] == "unanswered"
    assert reported["escalated_to"] and reported["escalated_to"].startswith("H")
    # The same result again (a lost answer) escalates nothing more.
    again = report(client, voice_headers, call["id"], answered=False)
    assert again["escalated_to"] == reported["escalated_to"]
    handoffs = [
        h for h in client.get("/api/v1/handoffs", headers=staff_headers).json()
        if h["reason"] == "no_answer"
    ]  # fmt: skip
    assert len(handoffs) == 1 and handoffs[0]["phone"] == "13800138000"
    alerts = client.post(
        "/api/v1/notifications/claim", json={"audiences": ["staff"]}, headers=wechat_headers
    ).json()
    assert [a["subject"] for a in alerts] == [handoffs[0]["number"]]
    # The next day's call is waiting.
    db_session.expire_all()
    waiting = db_session.scalars(
        select(OutboundCall).where(OutboundCall.plan_id == made["id"], OutboundCall.status == "due")
    ).all()
    assert len(waiting) == 1 and waiting[0].occurrence > call["occurrence"]


def test_a_call_due_outside_its_calling_hours_waits(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    wechat_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    made = plan(
        client, staff_headers, resident_id=resident(client, staff_headers),
        **hours_not_now(settings),
    )  # fmt: skip
    due_now(db_session, made["id"])
    assert claim(client, voice_headers) == []
    # Waiting for the calling hours is not late.
    alerts = client.post(
        "/api/v1/notifications/claim", json={"audiences": ["staff"]}, headers=wechat_headers
    ).json()
    assert alerts == []
    db_session.expire_all()
    [call] = db_session.scalars(select(OutboundCall).where(OutboundCall.plan_id == made["id"]))
    assert call.status == "due"


def test_a_call_no_bridge_placed_is_reported_late_once(
    client: TestClient,
    staff_headers: dict[str, str],
    wechat_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    made = plan(
        client, staff_headers, resident_id=resident(client, staff_headers),
        **hours_around_now(settings),
    )  # fmt: skip
    db_session.expire_all()
    [call] = db_session.scalars(select(OutboundCall).where(OutboundCall.plan_id == made["id"]))
    call.due_at = utcnow() - timedelta(minutes=settings.outbound_late_minutes + 5)
    db_session.commit()

    def staff_alerts() -> list[Any]:
        return list(
            client.post(
                "/api/v1/notifications/claim",
                json={"audiences": ["staff"]},
                headers=wechat_headers,
            ).json()
        )

    [late] = staff_alerts()
    assert late["kind"] == "call_late" and late["subject"].startswith("OC")
    assert "王秀英" in late["text"] and late["link"] == "/console/outbound"
    client.post(f"/api/v1/notifications/{late['id']}/delivered", headers=wechat_headers)
    assert staff_alerts() == []


def test_an_unwell_answer_escalates_and_stop_ends_the_plan(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    made = plan(
        client, staff_headers, resident_id=resident(client, staff_headers),
        **hours_around_now(settings),
    )  # fmt: skip
    due_now(db_session, made["id"])
    [call] = claim(client, voice_headers)
    refused = client.post(
        f"/api/v1/outbound-calls/{call['id']}/result",
        json={"answered": True},
        headers=voice_headers,
    )
    assert refused.status_code == 422  # an answered call says what it found
    answered = report(
        client, voice_headers, call["id"], answered=True, outcome="unwell", note="头晕，没吃饭"
    )
    assert answered["status"] == "answered" and answered["escalated_to"]
    [handoff] = [
        h for h in client.get("/api/v1/handoffs", headers=staff_headers).json()
        if h["number"] == answered["escalated_to"]
    ]  # fmt: skip
    assert handoff["reason"] == "distress" and "头晕" in handoff["last_message"]

    due_now(db_session, made["id"])
    [tomorrow] = claim(client, voice_headers)
    report(client, voice_headers, tomorrow["id"], answered=True, outcome="stop")
    plans = client.get("/api/v1/call-plans", headers=staff_headers).json()
    assert plans[0]["status"] == "stopped"
    due_now(db_session, made["id"])
    assert claim(client, voice_headers) == []
    resumed = client.post(f"/api/v1/call-plans/{made['id']}/resume", headers=staff_headers)
    assert resumed.status_code == 409  # the resident said stop: a new plan needs new consent


def test_pause_cancels_the_waiting_call_and_resume_schedules_again(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    made = plan(
        client, staff_headers, resident_id=resident(client, staff_headers),
        **hours_around_now(settings),
    )  # fmt: skip
    paused = client.post(
        f"/api/v1/call-plans/{made['id']}/pause", json={"reason": "住院"}, headers=staff_headers
    )
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    due_now(db_session, made["id"])
    assert claim(client, voice_headers) == []
    resumed = client.post(f"/api/v1/call-plans/{made['id']}/resume", headers=staff_headers)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active", resumed.text
    due_now(db_session, made["id"])
    [call] = claim(client, voice_headers)
    assert call["plan_id"] == made["id"]


def test_a_call_whose_bridge_died_is_offered_again(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    made = plan(
        client, staff_headers, resident_id=resident(client, staff_headers),
        **hours_around_now(settings),
    )  # fmt: skip
    due_now(db_session, made["id"])
    [first] = claim(client, voice_headers)
    db_session.expire_all()
    call = db_session.get(OutboundCall, first["id"])
    assert call is not None
    call.lease_until = utcnow() - timedelta(seconds=1)
    db_session.commit()
    [again] = claim(client, voice_headers)
    assert again["id"] == first["id"] and again["try_number"] == 1


def test_only_the_voice_key_places_calls(
    client: TestClient,
    staff_headers: dict[str, str],
    channel_headers: dict[str, str],
    wechat_headers: dict[str, str],
    voice_headers: dict[str, str],
) -> None:
    for headers in (staff_headers, channel_headers, wechat_headers):
        refused = client.post(
            "/api/v1/outbound-calls/claim", json={"claimer": "x"}, headers=headers
        )
        assert refused.status_code == 403, refused.text
    assert client.post("/api/v1/call-plans", json={}, headers=voice_headers).status_code == 403
    assert client.get("/api/v1/outbound-calls", headers=voice_headers).status_code == 403


def test_the_console_shows_todays_calls_escalated_first_and_pauses_a_plan(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    from tests.api.support import console_login

    hours = hours_around_now(settings)
    first = plan(client, staff_headers, resident_id=resident(client, staff_headers), **hours)
    second = plan(
        client, staff_headers, resident_id=resident(client, staff_headers, "13900001111"),
        **hours, max_tries=1,
    )  # fmt: skip
    for made in (first, second):
        due_now(db_session, made["id"])
    # Today's calls: move both to today's occurrence as the claim would see them.
    db_session.expire_all()
    today = local_now(settings).date().isoformat()
    for call in db_session.scalars(select(OutboundCall)):
        call.occurrence = today
    db_session.commit()
    calls = claim(client, voice_headers)
    by_plan = {call["plan_id"]: call for call in calls}
    report(client, voice_headers, by_plan[first["id"]]["id"], answered=True, outcome="fine")
    report(client, voice_headers, by_plan[second["id"]]["id"], answered=False)

    console_login(client)
    page = client.get("/console/outbound")
    assert page.status_code == 200, page.text
    text = page.text
    assert "已转社工 H" in text and "一切都好" in text
    assert text.index("已转社工") < text.index("一切都好")  # the escalated call first
    paused = client.post(
        f"/console/outbound/plans/{first['id']}/pause", data={"reason": "去女儿家住"}
    )
    assert paused.status_code == 200 and "已暂停" in paused.text, paused.text
    plans = {p["id"]: p for p in client.get("/api/v1/call-plans", headers=staff_headers).json()}
    assert plans[first["id"]]["status"] == "paused"


def test_call_results_land_on_the_household_file_in_chinese(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    from api.console.timeline import chinese_summaries
    from api.residents.schemas import TimelineItem

    household = client.post(
        "/api/v1/households", json={"name": "王家", "address": "幸福小区3号楼201"},
        headers=staff_headers,
    ).json()  # fmt: skip
    resident_id = resident(client, staff_headers)
    client.patch(
        f"/api/v1/residents/{resident_id}",
        json={"household_id": household["id"]},
        headers=staff_headers,
    )
    made = plan(client, staff_headers, resident_id=resident_id, **hours_around_now(settings))
    due_now(db_session, made["id"])
    [call] = claim(client, voice_headers)
    report(client, voice_headers, call["id"], answered=True, outcome="fine", note="刚买完菜")
    timeline = client.get(
        f"/api/v1/households/{household['id']}/timeline", headers=staff_headers
    ).json()
    [item] = [i for i in timeline["items"] if i["kind"] == "outbound_call"]
    assert item["reference"] == call["number"]
    [chinese] = chinese_summaries([TimelineItem(**item)], lambda at: at.isoformat())
    assert chinese == "关爱回访第1/3次：已接通，一切都好：刚买完菜"


def test_staff_schedule_a_plan_from_the_console_only_with_consent(
    client: TestClient, staff_headers: dict[str, str], settings: ApiSettings
) -> None:
    from tests.api.support import console_login

    resident_id = resident(client, staff_headers)
    console_login(client)
    page = client.get("/console/outbound")
    assert "安排外呼" in page.text and "居民同意的内容" in page.text
    form = {
        "resident_id": str(resident_id), "purpose": "wellbeing", "salutation": "王阿姨",
        "cadence": "weekly", "weekday": "2", "local_time": "09:30", "calls_from": "08:00",
        "calls_until": "20:00", "max_tries": "3", "retry_minutes": "20", "policy_code": "",
    }  # fmt: skip
    refused = client.post("/console/outbound/plans", data={**form, "consent_text": ""})
    assert refused.status_code == 409 and "填写的内容有误" in refused.text
    made = client.post(
        "/console/outbound/plans", data={**form, "consent_text": "王秀英同意每周三上午来电问候"}
    )
    assert made.status_code == 200 and "外呼计划已安排" in made.text, made.text
    (created,) = client.get("/api/v1/call-plans", headers=staff_headers).json()
    assert (created["cadence"], created["weekday"], created["salutation"]) == (
        "weekly",
        2,
        "王阿姨",
    )
    assert created["consent_recorded_by"].endswith("admin")


def test_a_service_callback_is_handed_to_linli_from_the_callbacks_page(
    client: TestClient, staff_headers: dict[str, str], settings: ApiSettings
) -> None:
    from api.call_plans.service import soon_within_calling_hours
    from tests.api.support import console_login

    resident_id = resident(client, staff_headers)
    due = (utcnow() + timedelta(hours=1)).isoformat()
    callback = client.post(
        "/api/v1/callbacks", headers=staff_headers,
        json={"resident_id": resident_id, "due_at": due, "purpose": "助浴回访"},
    )  # fmt: skip
    assert callback.status_code == 201, callback.text
    console_login(client)
    page = client.get("/console/callbacks")
    assert "让邻里通打电话回访" in page.text
    assert f'name="callback_id" value="{callback.json()["id"]}"' in page.text
    hour = soon_within_calling_hours(local_now(settings))
    made = client.post(
        "/console/outbound/plans",
        data={"resident_id": str(resident_id), "purpose": "callback", "cadence": "once",
              "callback_id": str(callback.json()["id"]), "local_time": hour,
              "consent_text": "王秀英同意邻里通来电回访"},
    )  # fmt: skip
    assert made.status_code == 200 and "外呼计划已安排" in made.text, made.text
    (created,) = client.get("/api/v1/call-plans", headers=staff_headers).json()
    assert (created["purpose"], created["callback_id"]) == ("callback", callback.json()["id"])


def test_outreach_candidates_are_residents_likely_eligible_who_neither_receive_nor_applied(
    client: TestClient, staff_headers: dict[str, str], settings: ApiSettings
) -> None:
    from tests.api.support import console_login

    born = local_now(settings).date().replace(year=local_now(settings).year - 85)
    made = client.post(
        "/api/v1/residents", headers=staff_headers,
        json={"name": "赵桂芝", "phone": "13600136000", "birth_date": born.isoformat()},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    resident_id = made.json()["id"]
    young = client.post(
        "/api/v1/residents", headers=staff_headers,
        json={"name": "钱小明", "phone": "13600136001", "birth_date": "1990-05-01"},
    )  # fmt: skip
    assert young.status_code == 201, young.text

    def candidates() -> list[tuple[int, str]]:
        found = client.get("/api/v1/call-plans/outreach-candidates", headers=staff_headers)
        assert found.status_code == 200, found.text
        return [(c["resident_id"], c["policy_code"]) for c in found.json()]

    found = candidates()
    assert (resident_id, "gaoling_jintie") in found
    assert {r for r, _ in found} == {resident_id}  # the 36-year-old is not a candidate
    audit = client.get(
        "/api/v1/audit", params={"subject": f"resident:{resident_id}"}, headers=staff_headers
    )
    assert audit.status_code == 200 and audit.json(), audit.text
    console_login(client)
    page = client.get("/console/outbound").text
    assert "赵桂芝：高龄津贴" in page and "安排政策找人电话" in page, page
    assert 'name="policy_code" value="gaoling_jintie"' in page
    plan(
        client, staff_headers, resident_id=resident_id, purpose="outreach", cadence="once",
        policy_code="gaoling_jintie", **hours_around_now(settings),
    )  # fmt: skip
    # An outreach plan about it exists: that policy is no longer suggested for her.
    assert (resident_id, "gaoling_jintie") not in candidates()


def test_a_call_note_is_stored_with_its_numbers_masked(
    client: TestClient,
    staff_headers: dict[str, str],
    voice_headers: dict[str, str],
    db_session: Session,
    settings: ApiSettings,
) -> None:
    made = plan(
        client,
        staff_headers,
        resident_id=resident(client, staff_headers),
        **hours_around_now(settings),
    )
    due_now(db_session, made["id"])
    (call,) = claim(client, voice_headers)
    said = "我不舒服，打我儿子电话13912345678"
    reported = report(client, voice_headers, call["id"], answered=True, outcome="unwell", note=said)
    assert "13912345678" not in reported["note"] and "139****5678" in reported["note"]
