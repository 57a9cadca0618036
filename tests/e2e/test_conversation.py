"""Mandarin conversations over Rasa's REST channel that must land in the case backend."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import Conversation, Stack

pytestmark = pytest.mark.e2e
BEIJING = ZoneInfo("Asia/Shanghai")


def number_in(reply: str, prefix: str) -> str:
    match = re.search(rf"{prefix}\d{{6}}", reply)
    assert match, reply
    return match.group()


def test_parse_gives_intents_and_canonical_entities(stack: Stack) -> None:
    expected = [
        ("我想问一下低保怎么申请", "ask_policy", "policy", "dibao"),
        ("帮我约个上门理发", "book_service", "service", "lifa"),
        ("我想订明天中午的午饭", "book_service", "service", "zhucan"),
        ("我家老头子八十五了能领高龄津贴吗", "check_eligibility", "policy", "gaoling_jintie"),
    ]
    for text, intent, entity, value in expected:
        parsed = httpx.post(
            f"{stack.rasa_url}/model/parse", json={"text": text}, params={"token": stack.rasa_token}
        ).json()
        assert parsed["intent"]["name"] == intent, (text, parsed["intent"])
        values = {(e["entity"], e["value"]) for e in parsed["entities"]}
        assert (entity, value) in values, (text, parsed["entities"])


def test_booking_a_meal_by_chat_lands_in_the_backend(
    conversation: Conversation, staff: httpx.Client
) -> None:
    assert "地址" in conversation.say("我想订明天中午的午饭")
    assert "电话" in conversation.say("幸福小区3号楼201")
    read_back = conversation.say("13800138000")
    assert "幸福小区3号楼201" in read_back and "138 0013 8000" in read_back
    confirmed = conversation.say("对")
    assert "预约好了" in confirmed
    booking = staff.get(f"/bookings/{number_in(confirmed, 'B')}").json()
    assert booking["service_code"] == "zhucan"
    assert booking["address"] == "幸福小区3号楼201"
    assert booking["phone"] == "13800138000"
    assert booking["time_text"] == "明天中午"
    assert booking["status"] == "requested"
    scheduled = datetime.fromisoformat(booking["scheduled_at"]).astimezone(BEIJING)
    assert scheduled.date() == (datetime.now(BEIJING) + timedelta(days=1)).date()
    assert scheduled.hour == 12


def test_applying_for_dibao_files_a_case(conversation: Conversation, staff: httpx.Client) -> None:
    assert "名字" in conversation.say("我要申请低保")
    assert "电话" in conversation.say("王秀英")
    assert "同意" in conversation.say("13900001111")  # consent before any ID number
    assert "18位身份证号" in conversation.say("同意")
    submitted = conversation.say("11010519491231002X")
    case = staff.get(f"/cases/{number_in(submitted, 'A')}").json()
    assert case["policy_code"] == "dibao"
    assert case["applicant_name"] == "王秀英"
    assert case["phone"] == "13900001111"
    assert case["status"] == "submitted"
    assert case["id_number"] == "1101**********002X"  # stored, and masked when read


def test_policy_question_is_answered_from_the_knowledge_base(conversation: Conversation) -> None:
    reply = conversation.say("高龄津贴一个月能领多少钱")
    assert "100元" in reply and "盐城市" in reply
    follow_up = conversation.say("那要带什么材料")
    assert "身份证" in follow_up


def test_asking_for_a_person_mid_form_reaches_the_queue(
    conversation: Conversation, staff: httpx.Client
) -> None:
    conversation.say("帮我约个人来打扫卫生")
    reply = conversation.say("转人工")
    handoff_number = number_in(reply, "H")
    queue = {item["number"]: item for item in staff.get("/handoffs").json()}
    assert queue[handoff_number]["sender_id"] == conversation.sender
    # The form was left: the next message is understood afresh, not taken as an address.
    assert "您好" in conversation.say("你好")


def test_greeting_out_of_scope_and_fallback_say_what_the_assistant_can_do(
    conversation: Conversation,
) -> None:
    assert "邻里通" in conversation.say("你好")
    assert "帮不上忙" in conversation.say("帮我推荐一只能涨的股票")
    assert "查政策" in conversation.say("/nlu_fallback")


def test_eligibility_conversation_screens_and_offers_to_apply(
    conversation: Conversation,
) -> None:
    # The age said in the question is not asked again.
    assert "一个人住" in conversation.say("我家老头子八十五了，能领高龄津贴吗")
    # Health and income each need a consent of their own before they are asked (issue 14).
    assert "同意我问吗" in conversation.say("不是，跟我一起住")
    assert "残疾" in conversation.say("同意")
    assert "大病" in conversation.say("没有")
    assert "收入" in conversation.say("没有")
    assert "收入" in conversation.say("同意")
    result = conversation.say("有退休金")
    assert "高龄津贴" in result and "符合条件" in result and "85岁" in result


def test_hardship_is_heard_and_offered_a_screening(
    conversation: Conversation, staff: httpx.Client
) -> None:
    reply = conversation.say("老伴住院花了十几万，家里实在撑不下去了")
    assert "不容易" in reply and "社工" in reply
    reports = staff.get("/need-reports").json()
    assert any(report["sender_id"] == conversation.sender for report in reports)


def test_an_emergency_hears_the_guidance_for_its_kind_of_danger(
    conversation: Conversation, staff: httpx.Client
) -> None:
    # Self-harm told sideways: the crisis line, gently, then the alert.
    reply = conversation.say("我妈这几天老说活着没意思，刚才发现她把安眠药都攒起来了")
    assert "12356" in reply and "120" in reply, reply
    assert "通知了社区工作人员" in reply, reply
    # The next emergency in the same conversation names its own danger: a fall, 120 first.
    reply = conversation.say("我爸摔倒了起不来")
    assert "120急救电话" in reply and "12356" not in reply, reply
    alerts = [h for h in staff.get("/handoffs").json() if h["sender_id"] == conversation.sender]
    assert [h["reason"] for h in alerts] == ["emergency", "emergency"]
