"""Residents chatting: commands, a booking by text, buttons, long answers."""

import asyncio
from pathlib import Path

import httpx
from telegram import CallbackQuery, InlineKeyboardMarkup, User

from channels.telegram import chat as chat_module
from channels.telegram import messages
from channels.telegram.app import build_application
from channels.telegram.chat import RasaChoice
from channels.telegram.messages import split_message
from channels.telegram.settings import TelegramSettings
from common.rasa_client import Button, RasaMessage
from tests.channels.telegram.standin import Call, TelegramStandIn
from tests.channels.telegram.support import Chat, RunningBot, buttons_of, texts
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
    # Rasa keeps a Telegram chat's conversation as tg:<chat id>; the booking carries that id.
    bookings = staff.get("/bookings", params={"sender_id": f"tg:{chat.sender_id}"}).json()
    assert [b["service_code"] for b in bookings] == ["zhucan"]


def test_rasa_buttons_become_an_inline_keyboard_and_a_press_is_the_payload(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    chat = Chat(standin)
    replies = chat.exchange({"message": chat.text_message("帮我推荐一只能涨的股票")})
    with_keyboard = [call for call in replies if buttons_of(call)]
    assert with_keyboard, [c.params for c in replies]
    buttons = {b["text"]: b["callback_data"] for b in buttons_of(with_keyboard[-1])}
    # Telegram gets a key of PTB's cache, not the payload.
    data = buttons["预约上门服务"]
    assert "book_service" not in data and len(data.encode()) <= 64
    start = len(standin.calls)
    after = chat.press(with_keyboard[-1], 4242, data)
    methods = [call.method for call in standin.calls_since(start)]
    assert "answerCallbackQuery" in methods and "editMessageReplyMarkup" in methods
    reply = texts(after)
    assert "服务" in reply and "帮不上忙" not in reply, reply

    # The menu was used: pressed again (a stale client), it asks to type instead.
    start = len(standin.calls)
    assert chat.press(with_keyboard[-1], 4242, data) == []
    [answer] = standin.calls_since(start, "answerCallbackQuery")
    assert "打字" in answer.params["text"] and str(answer.params["show_alert"]) == "true"


def test_a_button_the_front_does_not_know_asks_to_type_the_answer(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    chat = Chat(standin)
    # A menu from before arbitrary callback data, still on a resident's phone.
    old = Call("sendMessage", {"text": "请选择：", "reply_markup": {"inline_keyboard": [
        [{"text": "预约上门服务", "callback_data": "p:/book_service"}]]}})  # fmt: skip
    start = len(standin.calls)
    assert chat.press(old, 99, "p:/book_service") == []
    [answer] = standin.calls_since(start, "answerCallbackQuery")
    assert answer.params["text"] == messages.BUTTON_INVALID
    [removed] = standin.calls_since(start, "editMessageReplyMarkup")
    assert str(removed.params["message_id"]) == "99"
    assert "邻里通" in chat.say("/start")  # and the chat goes on


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


def test_images_become_photos_and_long_payloads_fit_telegrams_callback_limit(
    tmp_path: Path,
) -> None:
    recorder = RecordingChat()
    long_payload = '/inform{"service": "zhucan", "booking_time": "明天中午十二点整"}'
    reply = RasaMessage(
        text="这是服务点的位置 https://example.org/map",
        image="https://example.org/map.png",
        buttons=[Button("就这个", long_payload), Button("", "/deny")],
    )
    asyncio.run(chat_module.show(recorder, reply))  # type: ignore[arg-type]
    assert recorder.sent[0] == ("photo", "https://example.org/map.png", None)
    kind, text, markup = recorder.sent[1]
    assert kind == "message" and text == reply.text
    assert isinstance(markup, InlineKeyboardMarkup)
    first, second = (row[0] for row in markup.inline_keyboard)
    assert second.text == "/deny" and second.callback_data == RasaChoice("/deny")

    # What the front's bot sends Telegram instead, and what it makes of a press.
    settings = TelegramSettings(token="1:x", persistence_path=tmp_path / "state.pickle")
    cache = build_application(settings, VoiceClips("whisper")).bot.callback_data_cache
    sent = cache.process_keyboard(markup)
    keys = [str(row[0].callback_data) for row in sent.inline_keyboard]
    assert all(len(key.encode()) <= 64 for key in keys)
    user = User(1, "王秀英", is_bot=False)
    query = CallbackQuery("q1", user, "ci", data=keys[0])
    cache.process_callback_query(query)
    resolved: object = query.data  # PTB puts the kept object in place of the key
    assert resolved == RasaChoice(long_payload)


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
