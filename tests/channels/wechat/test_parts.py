"""The front's small parts, without a network: numbered choices, WeChat's byte limit, the
shared state's claims, how a staff alert reads."""

from pathlib import Path

from channels.wechat import messages
from channels.wechat.backend_client import Notice
from channels.wechat.notifier import Notifier
from channels.wechat.settings import WechatSettings
from channels.wechat.state import SqliteState
from common.rasa_client import Button, RasaMessage


def test_rasa_buttons_become_numbered_choices_of_the_last_message() -> None:
    replies = [
        RasaMessage(text="您好"),
        RasaMessage(
            text="您想办哪件事？",
            buttons=[Button("查政策", "/ask_policy"), Button("预约服务", "/book_service")],
        ),
    ]
    texts, payloads = messages.reply_parts(replies, 2000)
    assert texts == ["您好\n\n您想办哪件事？\n\n回复数字即可选择：\n1. 查政策\n2. 预约服务"]
    assert payloads == ["/ask_policy", "/book_service"]


def test_long_answers_are_cut_at_sentence_ends_within_wechats_byte_limit() -> None:
    text = "第一段。" * 400 + "\n\n" + "第二段，" * 300
    texts, _ = messages.reply_parts([RasaMessage(text=text)], 2000)
    assert len(texts) > 1
    assert all(len(part.encode()) <= 2000 for part in texts)
    assert texts[0].endswith("。")
    assert "".join(texts).replace("\n", "") == text.replace("\n", "")


def test_a_choice_is_answered_by_number_in_any_form() -> None:
    assert [messages.chosen_number(t) for t in ("2", "２", "二", "第2个", "3。")] == [2, 2, 2, 2, 3]
    assert messages.chosen_number("13800138000") is None
    assert messages.chosen_number("两个人") is None


def test_a_callback_is_claimed_once_across_replicas(tmp_path: Path) -> None:
    first, second = SqliteState(tmp_path / "s.db"), SqliteState(tmp_path / "s.db")
    assert first.claim("seen:42", 60) is True
    assert second.claim("seen:42", 60) is False
    assert first.claim("seen:42", 60) is False
    assert second.claim("seen:43", 60) is True
    second.set("choices:o1", '["/a"]', 60)
    assert first.get("choices:o1") == '["/a"]'
    first.set("short", "x", ttl_s=-1)  # already expired
    assert second.get("short") is None and second.claim("short", 60) is True


def test_a_staff_alert_names_the_record_and_links_the_console() -> None:
    settings = WechatSettings(console_url="https://linli.example.org/", _env_file=None)
    notifier = Notifier(settings=settings, backend=None, account=None, wecom=None)  # type: ignore[arg-type]
    notice = Notice(
        1, "staff", "emergency", None, "H000042", "【紧急】居民求助 H000042（电话）", "/console/"
    )
    text = notifier.staff_text(notice)
    assert text.startswith("【🚨 紧急求助】") and "H000042" in text
    assert text.endswith("处理：https://linli.example.org/console/")
