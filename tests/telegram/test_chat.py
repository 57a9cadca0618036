"""Residents chatting: commands, a booking by text, buttons, long answers."""

import httpx

from bot.telegram.messages import split_message
from tests.telegram.conftest import Chat, RunningBot, buttons_of
from tests.telegram.standin import TelegramStandIn


def test_start_greets_with_consent_notice_and_help_lists_commands(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    chat = Chat(standin)
    greeting = chat.say("/start")
    assert "邻里通" in greeting and "说明" in greeting and "预约上门服务" in greeting
    assert "/voice on" in chat.say("/help")
    commands = [c for c in standin.calls if c.method == "setMyCommands"][0].params["commands"]
    assert {command["command"] for command in commands} >= {"start", "help", "voice", "bind"}


def test_a_text_conversation_books_a_meal_in_the_backend(
    bot: RunningBot, standin: TelegramStandIn, staff: httpx.Client
) -> None:
    chat = Chat(standin)
    assert "地址" in chat.say("我想订明天中午的午饭")
    assert "电话" in chat.say("幸福小区3号楼201")
    read_back = chat.say("13800138000")
    assert "幸福小区3号楼201" in read_back and "138 0013 8000" in read_back
    confirmed = chat.say("对")
    assert "预约好了" in confirmed, confirmed
    bookings = staff.get("/bookings", params={"sender_id": chat.sender_id}).json()
    assert [b["service_code"] for b in bookings] == ["zhucan"]


def test_rasa_buttons_become_an_inline_keyboard_and_a_press_is_the_payload(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    chat = Chat(standin)
    replies = chat.exchange({"message": chat.text_message("帮我推荐一只能涨的股票")})
    with_keyboard = [call for call in replies if buttons_of(call)]
    assert with_keyboard, [c.params for c in replies]
    buttons = {b["text"]: b["callback_data"] for b in buttons_of(with_keyboard[-1])}
    assert buttons["预约上门服务"] == "p:/book_service"
    start = len(standin.calls)
    after = chat.press(with_keyboard[-1], 4242, buttons["预约上门服务"])
    methods = [call.method for call in standin.calls_since(start)]
    assert "answerCallbackQuery" in methods and "editMessageReplyMarkup" in methods
    reply = "\n".join(str(call.params.get("text", "")) for call in after)
    assert "服务" in reply and "帮不上忙" not in reply, reply


def test_long_answers_are_cut_at_sentence_ends_within_telegrams_limit() -> None:
    text = "第一段。" * 900 + "\n\n" + "第二段，" * 500
    parts = split_message(text)
    assert all(len(part) <= 4096 for part in parts)
    assert "".join(parts) == text.replace("\n\n", "")
    assert parts[0].endswith("。")
    assert split_message("短") == ["短"]
    assert all(len(p) <= 4096 for p in split_message("字" * 10_000))
