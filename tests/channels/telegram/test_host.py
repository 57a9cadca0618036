"""Livestream host mode: a batch of viewers' questions, grouped answers, follow-up reports."""

import time

import httpx

from tests.channels.telegram.standin import Call, TelegramStandIn
from tests.channels.telegram.support import HOST_USER_ID, Chat, RunningBot, buttons_of

EDITED = frozenset({"editMessageText"})
BATCH = """1. 张阿姨：低保怎么申请 电话13912345678
2. @老李 高龄津贴一个月能领多少钱
3. 我想订明天中午的午饭
4. 帮我推荐一只能涨的股票
5. 临时救助要带什么材料"""


def answers_to(chat: Chat, start: int, standin: TelegramStandIn) -> list[Call]:
    """The group messages of one batch: each carries a follow-up button."""
    standin.wait_for(
        lambda _: any("归成" in str(c.params.get("text")) for c in chat.replies(start)),
        timeout=90,
        what="the batch summary",
    )
    return [call for call in chat.replies(start) if buttons_of(call)]


def test_only_hosts_get_host_mode(bot: RunningBot, standin: TelegramStandIn) -> None:
    assert "只对直播主持人开放" in Chat(standin).say("/host on")


def test_a_batch_of_five_gets_five_answers_and_a_follow_up_becomes_a_need_report(
    bot: RunningBot, standin: TelegramStandIn, staff: httpx.Client
) -> None:
    host = Chat(standin, HOST_USER_ID, name="主持人小红")
    assert "已进入主持模式" in host.say("/host on 周三政策直播")
    start = len(standin.calls)
    standin.push({"message": host.text_message(BATCH)})
    answers = answers_to(host, start, standin)
    assert len(answers) == 5, [a.params["text"] for a in answers]
    texts = [str(a.params["text"]) for a in answers]
    assert "❓ 张阿姨：低保怎么申请" in texts[0] and "13912345678" not in texts[0]
    assert "❓ 老李：高龄津贴" in texts[1]
    assert "没听懂" in texts[3] or "帮不上忙" in texts[3]
    assert all("💬" in text for text in texts)
    # Each question was its own Rasa conversation: the meal order did not swallow the others.
    assert "地址" in texts[2]

    button = buttons_of(answers[0])[0]
    assert button["text"] == "需要上门/跟进"
    marked = host.press(answers[0], 777, button["callback_data"], EDITED)
    assert "已登记跟进：N" in str(marked[0].params["text"])
    assert "inline_keyboard" not in str(marked[0].params.get("reply_markup"))
    reports = staff.get("/need-reports").json()
    mine = [r for r in reports if r["channel"] == "livestream" and "低保怎么申请" in r["text"]]
    assert len(mine) == 1, reports
    # The backend words the report; the viewer, the phone and the session title reach it.
    filed = f"{mine[0]['text']} {mine[0]['source_detail']}"
    assert "张阿姨" in filed and "13912345678" in filed and "周三政策直播" in filed, mine
    assert mine[0]["needs_home_visit"] is True
    # A second press does not file the need twice.
    start = len(standin.calls)
    host.press(answers[0], 777, button["callback_data"], frozenset({"answerCallbackQuery"}))
    assert "已登记跟进" in str(standin.calls_since(start, "answerCallbackQuery")[0].params)
    again = [r for r in staff.get("/need-reports").json() if "低保怎么申请" in r["text"]]
    assert len(again) == 1


def test_forwarded_messages_within_the_window_are_one_batch_and_repeats_are_grouped(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    host = Chat(standin, HOST_USER_ID, name="主持人小红")
    host.say("/host on")
    start = len(standin.calls)
    viewers = [
        ("李大爷", "低保怎么申请"),
        ("赵奶奶", "低保怎么申请？"),
        ("孙阿姨", "高龄津贴一个月能领多少钱"),
    ]
    for number, (name, text) in enumerate(viewers):
        origin = {"type": "user", "date": int(time.time()), "sender_user": {
            "id": 800 + number, "is_bot": False, "first_name": name}}  # fmt: skip
        # One after the other, each handled before the next comes: all within the window.
        standin.wait_handled(
            standin.push({"message": host.text_message(text, forward_origin=origin)})
        )
    answers = answers_to(host, start, standin)
    assert len(answers) == 2, [a.params["text"] for a in answers]
    first = str(answers[0].params["text"])
    assert "李大爷：低保怎么申请" in first and "赵奶奶：低保怎么申请？" in first
    assert "孙阿姨" in str(answers[1].params["text"])
    assert "已退出主持模式" in host.say("/host off")
