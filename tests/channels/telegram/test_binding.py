"""Resident binding: sharing one's own phone number links the chat to the resident."""

from datetime import UTC, datetime, timedelta

import httpx

from tests.channels.telegram.standin import TelegramStandIn
from tests.channels.telegram.support import Chat, RunningBot, texts
from testsupport.servers import Stack

PHONE = "13700001234"


def said(chat: Chat, **fields: object) -> str:
    return texts(chat.exchange({"message": chat.message(**fields)}))


def test_sharing_ones_own_number_finds_bookings_made_by_phone(
    bot: RunningBot, standin: TelegramStandIn, stack: Stack
) -> None:
    # A booking made on the phone line, by another conversation.
    scheduled = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    made = httpx.post(
        f"{stack.backend.url}/api/v1/bookings",
        json={
            "service": "zhujie",
            "scheduled_at": scheduled,
            "time_text": "明天上午",
            "address": "幸福小区5号楼101",
            "phone": PHONE,
            "channel": "voice",
            "sender_id": "call-binding-test",
        },  # fmt: skip
        headers={"X-API-Key": stack.backend.api_key},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    chat = Chat(standin, name="刘桂兰")
    assert "没有查到" in chat.say("查一下我的预约")

    [offer] = chat.exchange({"message": chat.text_message("/bind")})
    keyboard = offer.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True and "不会给别人" in offer.params["text"]
    someone_else = {"phone_number": "+8613900009999", "first_name": "别人", "user_id": 42}
    assert "只能绑定您自己的手机号" in said(chat, contact=someone_else)
    own = {"phone_number": f"+86 {PHONE}", "first_name": "桂兰", "user_id": chat.user_id}
    assert "绑定好了" in said(chat, contact=own)
    status = chat.say("查一下我的预约")
    assert made.json()["number"] in status, status
