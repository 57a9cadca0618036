"""Conversations where the resident plans, corrects, changes their mind, asks two things at
once or has an emergency in the middle of a form: all through Rasa's REST channel, checked
in the backend."""

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import Conversation

pytestmark = pytest.mark.e2e
BEIJING = ZoneInfo("Asia/Shanghai")
PHONE = "13912345678"


def test_a_weekday_meal_plan_is_booked_by_chat_and_charged_per_meal(
    conversation: Conversation, staff: httpx.Client
) -> None:
    # The resident already has a service-assistance budget (staff granted it).
    first = staff.post(
        "/bookings",
        json={
            "service": "zhujie", "scheduled_at": datetime.now(BEIJING).replace(
                microsecond=0).isoformat(),
            "address": "幸福小区5号楼101", "phone": PHONE, "channel": "chat",
        },
    )  # fmt: skip
    assert first.status_code == 201, first.text
    resident_id = first.json()["resident_id"]
    budget = staff.post(
        "/budgets", json={"resident_id": resident_id, "year": datetime.now(BEIJING).year}
    ).json()

    asked = conversation.say("想给我妈订饭，从下周一开始每个工作日中午送，连续两周")
    assert "地址" in asked, asked
    assert "电话" in conversation.say("幸福小区5号楼101")
    read_back = conversation.say(PHONE)
    assert "每个工作日" in read_back and "共10次" in read_back, read_back
    done = conversation.say("对")
    assert "预约好了" in done and "P0" in done, done

    plans = staff.get("/booking-plans", params={"sender_id": conversation.sender}).json()
    assert len(plans) == 1 and plans[0]["occurrence_count"] == 10
    occurrences = plans[0]["occurrences"]
    days = [datetime.fromisoformat(o["scheduled_at"]).astimezone(BEIJING) for o in occurrences]
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4] * 2
    assert all(o["budget_id"] == budget["id"] and o["price_yuan"] == 12 for o in occurrences)
    assert staff.get(f"/budgets/{budget['id']}").json()["spent_yuan"] == 12 * 10

    cancelled = staff.post(
        f"/bookings/{occurrences[3]['number']}/cancel", json={"reason": "那天去医院"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert staff.get(f"/budgets/{budget['id']}").json()["spent_yuan"] == 12 * 9


def test_an_address_correction_at_the_read_back_is_taken(
    conversation: Conversation, staff: httpx.Client
) -> None:
    conversation.say("帮我约个明天上午十点的上门理发")
    conversation.say("幸福小区3号楼201")
    assert "幸福小区3号楼201" in conversation.say("13800138000")
    read_back = conversation.say("地址不对，应该是幸福小区8号楼302")
    assert "幸福小区8号楼302" in read_back and "对吗" in read_back, read_back
    assert "预约好了" in conversation.say("对")
    [booking] = staff.get("/bookings", params={"sender_id": conversation.sender}).json()
    assert booking["address"] == "幸福小区8号楼302"


@pytest.mark.parametrize("change_of_mind", ["算了，不订了", "先不约了"])
def test_a_change_of_mind_ends_the_booking_politely(
    conversation: Conversation, staff: httpx.Client, change_of_mind: str
) -> None:
    assert "时候" in conversation.say("我想约个助浴")
    reply = conversation.say(change_of_mind)
    assert "不会提交" in reply and "什么时候" not in reply, reply
    # Nothing was filed, nothing more is asked, and the next request starts afresh.
    assert staff.get("/bookings", params={"sender_id": conversation.sender}).json() == []
    assert "低保" in conversation.say("低保一个月能领多少钱")


@pytest.mark.parametrize(
    ("opening", "asked"),
    [
        ("我想订明天中午的午饭", "地址"),
        ("我要申请低保", "名字"),
        ("我这种情况能申请什么补助吗", "年纪"),
    ],
)
def test_an_emergency_inside_any_form_wins(
    conversation: Conversation, staff: httpx.Client, opening: str, asked: str
) -> None:
    assert asked in conversation.say(opening)
    reply = conversation.say("我爸突然倒在地上叫不醒了")
    assert "120" in reply, reply
    handoffs = staff.get("/handoffs").json()
    assert any(
        h["sender_id"] == conversation.sender and h["reason"] == "emergency" for h in handoffs
    ), handoffs


def test_two_needs_in_one_message_are_both_taken(conversation: Conversation) -> None:
    reply = conversation.say("高龄津贴一个月多少钱？另外想约个上门理发")
    # The policy is answered and the booking is started (or named back), never both dropped.
    assert "高龄津贴" in reply, reply
    assert "理发" in reply or "时候" in reply, reply
