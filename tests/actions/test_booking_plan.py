"""Recurring bookings and forms that listen: plans read from the resident's words, read back in
plain words and filed as one plan; corrections and changes of mind at the read-back."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ActionAskBookingConfirmed, ActionSubmitBooking, ValidateBookingForm
from actions.booking_plan import BookingPlan, describe_plan, resolve_booking_plan
from actions.booking_time import resolve_booking_time
from actions.conversation import now_local
from actions.core import ActionStopForm
from actions.form_fields import changes_mind, read_correction
from tests.actions.support import make_tracker, slot_values, texts

BEIJING = ZoneInfo("Asia/Shanghai")
# A Wednesday morning.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=BEIJING)


def plan_of(text: str) -> BookingPlan:
    plan = resolve_booking_plan(text, NOW)
    assert plan is not None, text
    return plan


@pytest.mark.parametrize(
    ("said", "first_day", "weekdays", "count", "hour"),
    [
        ("从明天开始每天中午", "2026-12-03", [0, 1, 2, 3, 4, 5, 6], 14, 12),
        ("每周二周四上午", "2026-12-03", [1, 3], 8, 9),  # 上午: the worker calls to agree
        ("每个工作日中午十二点，连续两周", "2026-12-03", [0, 1, 2, 3, 4], 10, 12),
        ("这个月每周一次", "2026-12-03", [3], 5, 9),
        ("每周三下午三点来打扫", "2026-12-09", [2], 4, 15),
        ("每天中午送饭，一共10次", "2026-12-03", [0, 1, 2, 3, 4, 5, 6], 10, 12),
        ("从下周一起每天晚上六点", "2026-12-07", [0, 1, 2, 3, 4, 5, 6], 14, 18),
    ],
)
def test_recurring_words_become_a_plan(
    said: str, first_day: str, weekdays: list[int], count: int, hour: int
) -> None:
    plan = plan_of(said)
    assert plan.first.date().isoformat() == first_day
    assert sorted(plan.weekdays) == weekdays
    assert len(plan.occurrences()) == count
    assert {when.hour for when in plan.occurrences()} == {hour}


@pytest.mark.parametrize("said", ["明天中午", "后天上午十点", "三号楼二单元", "下周一"])
def test_a_one_off_time_is_no_plan(said: str) -> None:
    assert resolve_booking_plan(said, NOW) is None


def test_recurring_words_never_crash_the_one_off_reader() -> None:
    for said in ["每天", "每周", "从明天开始每天", "每周二周四上午", "两周", "每个月"]:
        resolve_booking_time(said, NOW)  # JioNLP's time_period results used to raise here


def test_the_read_back_says_the_plan_in_plain_words() -> None:
    said = describe_plan(plan_of("每个工作日中午十二点，连续两周"))
    assert said == "从12月3日（星期四）起，每个工作日（周一到周五）中午12点，到12月16日，共10次"


def test_a_plan_survives_the_slot_round_trip() -> None:
    plan = plan_of("每周二周四上午")
    assert BookingPlan.from_slot(plan.as_slot()) == plan
    assert (
        BookingPlan.from_slot({"iso": NOW.isoformat(), "text": "明天", "precision": "day"}) is None
    )


@pytest.mark.parametrize("said", ["算了，不订了", "先不约了", "不要了", "我不想预约了"])
def test_a_change_of_mind_is_heard(said: str) -> None:
    assert changes_mind(said)


@pytest.mark.parametrize("said", ["对", "好的，就这样", "明天中午", "幸福小区3号楼"])
def test_an_answer_is_no_change_of_mind(said: str) -> None:
    assert not changes_mind(said)


def test_corrections_replace_the_field_and_ask_again() -> None:
    assert read_correction("地址不对，应该是幸福小区8号楼302", NOW) == {
        "address": "幸福小区8号楼302"
    }
    assert read_correction("电话改成139 1234 5678", NOW) == {"phone": "13912345678"}
    moved = read_correction("时间改成后天上午十点", NOW)
    assert moved is not None and moved["booking_time"]["iso"].startswith("2026-12-04T10:00")
    assert read_correction("对，没错", NOW) is None


@pytest.mark.asyncio
async def test_a_plan_is_read_back_and_filed_as_one_plan(
    domain: dict[str, Any], staff: httpx.Client
) -> None:
    sender = "plan-by-chat"
    dispatcher = CollectingDispatcher()
    opening = make_tracker(
        "每个工作日中午送饭，连续两周",
        "book_service",
        extracted={"service": "zhucan"},
        active_loop="booking_form",
        sender_id=sender,
    )
    slots = slot_values(await ValidateBookingForm().run(dispatcher, opening, domain))
    plan = BookingPlan.from_slot(slots["booking_time"])
    assert plan is not None and len(plan.occurrences()) == 10
    filled = {
        "service": "zhucan",
        "booking_time": slots["booking_time"],
        "address": "幸福小区3号楼201",
        "phone": "13800138000",
        "booking_confirmed": True,
    }
    await ActionAskBookingConfirmed().run(dispatcher, make_tracker(slots=filled), domain)
    assert "每个工作日" in texts(dispatcher) and "共10次" in texts(dispatcher)
    done = CollectingDispatcher()
    await ActionSubmitBooking().run(done, make_tracker(slots=filled, sender_id=sender), domain)
    assert "预约好了" in texts(done) and "P0" in texts(done)
    [filed] = staff.get("/booking-plans", params={"sender_id": sender}).json()
    assert filed["occurrence_count"] == 10 and filed["service_code"] == "zhucan"


@pytest.mark.asyncio
async def test_a_night_time_is_asked_back(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    late = (now_local() + timedelta(days=1)).replace(hour=23, minute=0, second=0, microsecond=0)
    tracker = make_tracker(
        "明天晚上十一点",
        "inform",
        slots={"service": "zhujie", "requested_slot": "booking_time"},
        extracted={
            "booking_time": {
                "iso": late.isoformat(),
                "text": "明天晚上十一点",
                "precision": "clock",
            }
        },
        active_loop="booking_form",
    )
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["booking_time"] is None
    assert "夜里" in texts(dispatcher)


@pytest.mark.asyncio
async def test_stopping_a_form_ends_it_and_files_nothing(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "算了，不订了", "deny", slots={"service": "zhuyu"}, active_loop="booking_form"
    )
    events = await ActionStopForm().run(dispatcher, tracker, domain)
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert {"event": "slot", "timestamp": None, "name": "service", "value": None} in events
    assert "不会提交" in texts(dispatcher)


@pytest.mark.asyncio
async def test_a_correction_at_the_read_back_keeps_the_other_fields(
    domain: dict[str, Any],
) -> None:
    tomorrow_ten = (now_local() + timedelta(days=1)).replace(hour=10, minute=0, second=0)
    filled = {
        "service": "lifa",
        "booking_time": {
            "iso": tomorrow_ten.isoformat(),
            "text": "明天上午十点",
            "precision": "clock",
        },
        "address": "幸福小区3号楼201",
        "phone": "13800138000",
        "requested_slot": "booking_confirmed",
    }
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "地址不对，应该是幸福小区8号楼302", "inform", slots=filled, active_loop="booking_form"
    )
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["address"] == "幸福小区8号楼302"
    assert "booking_time" not in slots and "phone" not in slots  # nothing else is asked again
    assert "重新确认" not in texts(dispatcher)
