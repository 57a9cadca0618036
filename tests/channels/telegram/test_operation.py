"""Operation: settings errors, webhook mode with its secret token, persistence across a
restart, the global error handler, and updates the front does not handle."""

import os
import subprocess
import time
from pathlib import Path

import httpx

from channels.telegram import messages
from tests.channels.telegram.standin import TelegramStandIn
from tests.channels.telegram.support import (
    HOST_USER_ID,
    Chat,
    RunningBot,
    bot_settings,
    buttons_of,
    texts,
    voice_clips,
)
from testsupport.servers import APP_PYTHON, PROJECT_ROOT, Stack, free_port

SECRET = "s3cret-token_for-webhook"


def test_a_missing_token_is_a_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_TELEGRAM_")}
    result = subprocess.run(
        [str(APP_PYTHON), "-m", "channels.telegram"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "LINLI_TELEGRAM_TOKEN is not set" in result.stderr and "BotFather" in result.stderr


def test_stickers_edits_groups_huge_texts_and_unknown_updates_do_not_crash_it(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    chat = Chat(standin)
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    assert "文字和语音" in texts(chat.exchange({"message": chat.message(sticker=sticker)}))
    edited = {"edited_message": {**chat.text_message("改一下"), "edit_date": int(time.time())}}
    assert "重新发一条" in texts(chat.exchange(edited))
    assert "分几次说" in chat.say("救命" * 3000)
    assert "使用说明" in chat.say("/frobnicate")
    group = {"id": -100123, "type": "supergroup", "title": "幸福小区业主群"}
    start = len(standin.calls)
    pushed = [
        standin.push({"message": {**chat.text_message("大家好"), "chat": group}}),
        standin.push({"message": {**chat.text_message("/start"), "chat": group}}),
        standin.push({"some_future_update": {"id": 1}}),
    ]
    bot_user = {"id": 1, "is_bot": True, "first_name": "b"}
    pushed.append(standin.push({"my_chat_member": {
        "chat": {"id": chat.user_id, "type": "private"}, "from": chat.user(),
        "date": int(time.time()),
        "old_chat_member": {"status": "member", "user": bot_user},
        "new_chat_member": {"status": "kicked", "until_date": 0, "user": bot_user},
    }}))  # fmt: skip
    standin.wait_handled(*pushed)
    answers = [
        str(call.params.get("text"))
        for call in standin.calls_since(start, "sendMessage")
        if str(call.params.get("chat_id")) in {str(group["id"]), chat.sender_id}
    ]
    # The group's /start got the answer to chat in private; its plain chatter got none.
    assert answers == [messages.GROUP_ONLY_PRIVATE], answers
    # And the bot still serves everyone.
    assert "邻里通" in chat.say("/start")


def test_a_token_telegram_refuses_is_a_clear_error(
    second_standin: TelegramStandIn, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_TELEGRAM_")}
    env |= {
        "LINLI_TELEGRAM_TOKEN": "999:revoked",
        "LINLI_TELEGRAM_BASE_URL": second_standin.base_url,
        "LINLI_TELEGRAM_PERSISTENCE_PATH": str(tmp_path / "state.pickle"),
    }
    result = subprocess.run(
        [str(APP_PYTHON), "-m", "channels.telegram"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Telegram refused LINLI_TELEGRAM_TOKEN" in result.stderr


def test_webhook_mode_checks_the_secret_and_state_survives_a_restart(
    second_standin: TelegramStandIn, tmp_path: Path
) -> None:
    standin, port = second_standin, free_port()
    dead = f"http://127.0.0.1:{free_port()}"  # Rasa is down: the error handler apologises
    settings = bot_settings(
        standin, None, tmp_path, mode="webhook", webhook_url="https://linli.example.org/tg",
        webhook_listen="127.0.0.1", webhook_port=port, webhook_path="tg",
        webhook_secret=SECRET, rasa_url=dead, backend_url=dead,
    )  # fmt: skip
    bot = RunningBot(settings, voice_clips())
    bot.start(standin)
    try:
        standin.wait_for(lambda calls: any(c.method == "setWebhook" for c in calls))
        [set_webhook] = [c for c in standin.calls if c.method == "setWebhook"]
        assert set_webhook.params["url"] == "https://linli.example.org/tg"
        assert set_webhook.params["secret_token"] == SECRET

        host = Chat(standin, HOST_USER_ID)
        url = f"http://127.0.0.1:{port}/tg"
        update = {"update_id": 1, "message": host.text_message("/host on")}
        forged = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
        assert forged.status_code == 403
        assert httpx.post(url, json=update).status_code == 403
        start = len(standin.calls)
        genuine = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert genuine.status_code == 200
        standin.wait_for(lambda _: bool(host.replies(start)), what="the host-mode answer")
        assert "已进入主持模式" in texts(host.replies(start))

        resident = Chat(standin)
        start = len(standin.calls)
        update = {"update_id": 2, "message": resident.text_message("你好")}
        httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        standin.wait_for(lambda _: bool(resident.replies(start)), what="an apology")
        assert "抱歉" in texts(resident.replies(start))
    finally:
        bot.stop()

    # Restarted (polling this time), the host is still in host mode: a paste is a batch.
    restarted = RunningBot(
        bot_settings(standin, None, tmp_path, rasa_url=dead, backend_url=dead), voice_clips()
    )
    restarted.start(standin)
    try:
        host = Chat(standin, HOST_USER_ID)
        start = len(standin.calls)
        standin.push({"message": host.text_message("低保怎么申请\n高龄津贴怎么领")})
        standin.wait_for(
            lambda _: "收到 2 个问题" in texts(host.replies(start)), what="the batch to start"
        )
        standin.wait_for(lambda _: "抱歉" in texts(host.replies(start)), what="an apology")
    finally:
        restarted.stop()


def test_follow_up_buttons_still_work_after_a_restart(
    second_standin: TelegramStandIn, stack: Stack, staff: httpx.Client, tmp_path: Path
) -> None:
    standin = second_standin
    host = Chat(standin, HOST_USER_ID)
    first = RunningBot(bot_settings(standin, stack, tmp_path), voice_clips())
    first.start(standin)
    try:
        host.say("/host on")
        start = len(standin.calls)
        standin.push({"message": host.text_message("周大爷：助浴怎么预约 电话13655556666")})
        standin.wait_for(
            lambda _: any(buttons_of(call) for call in host.replies(start)),
            timeout=60,
            what="an answer with a follow-up button",
        )
        [answer] = [call for call in host.replies(start) if buttons_of(call)]
    finally:
        first.stop()

    restarted = RunningBot(bot_settings(standin, stack, tmp_path), voice_clips())
    restarted.start(standin)
    try:
        data = buttons_of(answer)[0]["callback_data"]
        marked = host.press(answer, 99, data, frozenset({"editMessageText"}))
        assert "已登记跟进" in str(marked[0].params["text"])
    finally:
        restarted.stop()
    reports = [r for r in staff.get("/need-reports").json() if "助浴怎么预约" in r["text"]]
    assert len(reports) == 1, reports
    assert "周大爷" in reports[0]["text"] and "13655556666" in reports[0]["text"]


def test_an_update_delivered_three_times_is_answered_once(
    second_standin: TelegramStandIn, tmp_path: Path
) -> None:
    standin, port = second_standin, free_port()
    dead = f"http://127.0.0.1:{free_port()}"  # Rasa is down: each update gets one apology
    settings = bot_settings(
        standin, None, tmp_path, mode="webhook", webhook_url="https://linli.example.org/tg",
        webhook_listen="127.0.0.1", webhook_port=port, webhook_path="tg",
        webhook_secret=SECRET, rasa_url=dead, backend_url=dead,
    )  # fmt: skip
    bot = RunningBot(settings, voice_clips())
    bot.start(standin)
    try:
        standin.wait_for(lambda calls: any(c.method == "setWebhook" for c in calls))
        url, headers = f"http://127.0.0.1:{port}/tg", {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        resident = Chat(standin)
        start = len(standin.calls)
        repeated = {"update_id": 70, "message": resident.text_message("你好")}
        for _ in range(3):  # Telegram retrying a webhook it took for failed
            assert httpx.post(url, json=repeated, headers=headers).status_code == 200
        # One chat's updates are handled in order: once this one is answered, so are those.
        after = {"update_id": 71, "message": resident.text_message("谢谢")}
        httpx.post(url, json=after, headers=headers)
        standin.wait_for(lambda _: len(resident.replies(start)) >= 2, what="two answers")
        assert len(resident.replies(start)) == 2
    finally:
        bot.stop()
