"""Residents chatting: commands, a booking by text, buttons, long answers."""

import asyncio
from types import SimpleNamespace

import httpx
from telegram import InlineKeyboardMarkup

from channels.telegram.handlers import TelegramFront
from channels.telegram.messages import split_message
from channels.telegram.settings import TelegramSettings
from common.rasa_client import Button, RasaMessage
from tests.channels.telegram.conftest import Chat, RunningBot, buttons_of
from tests.channels.telegram.standin import TelegramStandIn
from voice.clips import VoiceClips


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


class RecordingChat:
    """Just enough of telegram.Chat to see what the front sends for one Rasa message."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object, object]] = []

    async def send_photo(self, photo: str) -> None:
        self.sent.append(("photo", photo, None))

    async def send_message(self, text: str, reply_markup: object = None) -> None:
        self.sent.append(("message", text, reply_markup))


def test_images_become_photos_and_long_payloads_fit_telegrams_callback_limit() -> None:
    front = TelegramFront(TelegramSettings(token="1:x"), VoiceClips("whisper"))
    context = SimpleNamespace(bot_data={})
    chat = RecordingChat()
    long_payload = '/inform{"service": "zhucan", "booking_time": "明天中午十二点整"}'
    reply = RasaMessage(
        text="这是服务点的位置 https://example.org/map",
        image="https://example.org/map.png",
        buttons=[Button("就这个", long_payload), Button("", "/deny")],
    )
    asyncio.run(front._show(chat, reply, context))  # type: ignore[arg-type]
    assert chat.sent[0] == ("photo", "https://example.org/map.png", None)
    kind, text, markup = chat.sent[1]
    assert kind == "message" and text == reply.text
    assert isinstance(markup, InlineKeyboardMarkup)
    first, second = (row[0] for row in markup.inline_keyboard)
    assert second.text == "/deny" and second.callback_data == "p:/deny"
    assert len(str(first.callback_data).encode()) <= 64
    key = str(first.callback_data).removeprefix("h:")
    assert context.bot_data["payloads"][key] == long_payload


def test_one_chats_messages_reach_rasa_in_order_while_other_chats_go_on(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    quick, other = Chat(standin), Chat(standin)
    start = len(standin.calls)
    standin.push({"message": quick.text_message("我想订明天中午的午饭")})
    standin.push({"message": quick.text_message("幸福小区3号楼201")})
    standin.push({"message": other.text_message("你好")})
    standin.wait_for(lambda _: len(quick.replies(start)) >= 2, what="two answers")
    standin.wait_for(lambda _: bool(other.replies(start)), what="the other chat's answer")
    first, second = (str(call.params["text"]) for call in quick.replies(start)[:2])
    assert "地址" in first and "电话" in second, (first, second)
