"""Residents chatting on the 公众号: signed and encrypted callbacks, passive replies within the
window, customer-service messages after it, retries answered once, numbered choices."""

from pathlib import Path

import httpx

from channels.wechat.state import SqliteState
from tests.channels.wechat.support import Resident
from testsupport.servers import Stack
from testsupport.wechat_channel import RunningChannel
from testsupport.wechat_standin import WechatServer, WechatStandIn


def test_the_callback_url_is_verified_and_a_forged_signature_is_refused(
    wechat: WechatServer,
) -> None:
    answered = wechat.verify("echo-4711")
    assert answered.status_code == 200 and answered.text == "echo-4711"
    assert wechat.verify("echo-4711", forge=True).status_code == 403


def test_forged_stale_oversized_and_unreadable_callbacks_are_refused(
    wechat: WechatServer, plain_wechat: WechatServer, standin: WechatStandIn
) -> None:
    resident = Resident(wechat, standin)
    xml = wechat.text_xml(resident.openid, "低保怎么申请", wechat.new_msg_id())
    start = len(standin.calls)
    assert wechat.post(xml, forge=True).status == 403  # safe mode: msg_signature
    assert plain_wechat.post(xml, forge=True).status == 403  # plain mode: signature
    assert wechat.post(xml, timestamp=1_600_000_000).status == 403  # a replay from 2020
    assert plain_wechat.post(xml + " " * 70_000).status == 413
    assert plain_wechat.post("<xml><not-closed>").status == 400
    assert standin.calls_since(start) == []  # nothing refused reached Rasa or WeChat


def test_a_booking_by_text_goes_to_the_end_in_passive_replies(
    wechat: WechatServer, standin: WechatStandIn, staff: httpx.Client
) -> None:
    resident = Resident(wechat, standin)
    start = len(standin.calls)
    asked = resident.say("我想订明天中午的午饭")
    assert "地址" in asked.reply, asked.raw
    assert asked.seconds < 5  # within WeChat's window
    assert "<Encrypt>" in asked.raw  # safe mode: the reply is encrypted too
    assert "电话" in resident.say("幸福小区3号楼201").reply
    read_back = resident.say("13800138000").reply
    assert "幸福小区3号楼201" in read_back and "138 0013 8000" in read_back
    confirmed = resident.answer("对")
    assert "预约好了" in confirmed, confirmed
    bookings = staff.get("/bookings", params={"sender_id": resident.sender_id}).json()
    assert [b["service_code"] for b in bookings] == ["zhucan"]
    assert [b["channel"] for b in bookings] == ["wechat"]
    assert resident.follow_ups(start) == []  # everything came back within the window


def test_a_reply_that_misses_the_window_comes_by_the_customer_service_api(
    plain_wechat: WechatServer, standin: WechatStandIn
) -> None:
    resident = Resident(plain_wechat, standin)
    start = len(standin.calls)
    posted = resident.say("低保怎么申请")
    assert posted.raw == "success" and posted.reply == ""
    standin.wait_for(
        lambda calls: bool(resident.follow_ups(start)), what="the customer-service reply"
    )
    assert "低保" in "\n".join(resident.follow_ups(start))


def test_a_callback_wechat_retries_is_answered_once(
    plain_wechat: WechatServer, standin: WechatStandIn, hurried_channel: RunningChannel
) -> None:
    resident = Resident(plain_wechat, standin)
    xml = plain_wechat.text_xml(resident.openid, "高龄津贴怎么领", plain_wechat.new_msg_id())
    start = len(standin.calls)
    first = plain_wechat.post(xml)
    # WeChat heard nothing within 5 s (it thinks): the same message again, twice.
    again = [plain_wechat.post(xml), plain_wechat.post(xml)]
    assert first.raw == "success" and [a.raw for a in again] == ["success", "success"]
    # One resident's turns are answered in order, each in full: once the answer to a later
    # message is in, any second answer to the first would be too.
    resident.say("临时救助怎么申请")
    standin.wait_for(
        lambda calls: any("临时救助" in reply for reply in resident.follow_ups(start)),
        what="the answer to the later message",
    )
    replies = resident.follow_ups(start)
    assert sum("高龄" in reply for reply in replies) == 1, replies


def test_buttons_become_numbered_choices_answered_by_number(
    wechat: WechatServer, standin: WechatStandIn
) -> None:
    resident = Resident(wechat, standin)
    offered = resident.answer("帮我推荐一只能涨的股票")
    assert "回复数字" in offered and "1. " in offered, offered
    lines = [line for line in offered.splitlines() if line[:1].isdigit() and ". " in line]
    number = next(line.split(".")[0] for line in lines if "预约" in line)
    chosen = resident.answer(number)
    assert "服务" in chosen and "帮不上忙" not in chosen, chosen


def test_subscribing_greets_with_the_consent_notice_and_other_kinds_are_answered(
    wechat: WechatServer, standin: WechatStandIn
) -> None:
    resident = Resident(wechat, standin)
    greeting = wechat.post(wechat.event_xml(resident.openid, "subscribe")).reply
    assert "邻里通" in greeting and "说明" in greeting and "绑定" in greeting
    picture = wechat.post(wechat.image_xml(resident.openid, wechat.new_msg_id())).reply
    assert "文字和语音" in picture
    menu = wechat.post(wechat.event_xml(resident.openid, "CLICK", "转人工")).reply
    assert menu, "a menu press is answered like the words on it"
    left = wechat.post(wechat.event_xml(resident.openid, "unsubscribe"))
    assert left.status == 200 and left.reply == ""


def test_a_message_too_long_is_answered_without_reaching_rasa(
    wechat: WechatServer, standin: WechatStandIn
) -> None:
    resident = Resident(wechat, standin)
    assert "太长" in resident.say("我" * 2500).reply


def test_a_retried_callback_whose_reply_was_lost_gets_the_same_reply_without_a_second_turn(
    wechat: WechatServer, standin: WechatStandIn, stack: Stack
) -> None:
    resident = Resident(wechat, standin)
    xml = wechat.text_xml(resident.openid, "残疾人补贴怎么申请", wechat.new_msg_id())
    first = wechat.post(xml)
    assert "残疾" in first.reply, first.raw
    # The answer did not reach WeChat (it thinks): the same callback again.
    again = wechat.post(xml)
    assert again.reply == first.reply
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{resident.sender_id}/tracker",
        params={"token": stack.rasa_token},
        timeout=10,
    ).json()
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == ["残疾人补贴怎么申请"]


def test_unfollowing_ends_the_conversation(
    wechat: WechatServer, standin: WechatStandIn, stack: Stack
) -> None:
    resident = Resident(wechat, standin)
    assert resident.say("我要预约打扫卫生").reply
    assert wechat.post(wechat.event_xml(resident.openid, "unsubscribe")).reply == ""
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{resident.sender_id}/tracker",
        params={"token": stack.rasa_token},
        timeout=10,
    ).json()
    # Rasa shows a tracker from its last restart on: the booking begun before is gone.
    assert [e for e in tracker["events"] if e["event"] == "user"] == []
    assert not (tracker.get("active_loop") or {}).get("name")


def test_a_retry_of_a_message_whose_process_died_mid_turn_is_answered(
    wechat: WechatServer, standin: WechatStandIn, channel: RunningChannel
) -> None:
    resident = Resident(wechat, standin)
    msg_id = wechat.new_msg_id()
    # Another process claimed this message and died before answering it.
    state = SqliteState(Path(channel.settings.state_url.removeprefix("sqlite:///")))
    state.set(f"seen:{msg_id}", "deadprocess1:working", 180)
    posted = wechat.post(wechat.text_xml(resident.openid, "低保怎么申请", msg_id))
    assert "低保" in posted.reply, posted.raw
    # Answered once here: a further retry gets the same reply, not a third turn.
    again = wechat.post(wechat.text_xml(resident.openid, "低保怎么申请", msg_id))
    assert again.reply == posted.reply
