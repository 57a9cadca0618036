"""Transcript correction before NLU, and bot text made good to hear."""

import pytest

from voice.correction import TranscriptCorrector
from voice.speakable import clauses, speakable


@pytest.fixture(scope="module")
def corrector() -> TranscriptCorrector:
    return TranscriptCorrector()


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("為你好我想問一下底保怎麼申請", "为你好我想问一下低保怎么申请"),  # Whisper's own output
        ("我想问一下地保", "我想问一下低保"),
        ("我家老头子能领高灵津贴吗", "我家老头子能领高龄津贴吗"),
        ("我上个月申请的临时就助批下来没有", "我上个月申请的临时救助批下来没有"),
        ("帮我约个上门里发", "帮我约个上门理发"),
        ("我的電話是一三八零零一三八零零零", "我的电话是13800138000"),
        ("幺三九零零零零幺幺幺幺", "13900001111"),
        ("我要定名天中午的饭送到家里。", "我要定明天中午的饭送到家里。"),  # Whisper, on d02
        # Left alone: quantities the NLU reads as words, and sound-alikes that are real words.
        ("明天上午十点，我八十五了", "明天上午十点，我八十五了"),
        ("等一下，买一包烟", "等一下，买一包烟"),
        ("低保怎么申请", "低保怎么申请"),
    ],
)
def test_transcripts_are_corrected(corrector: TranscriptCorrector, heard: str, meant: str) -> None:
    assert corrector.correct(heard) == meant


def test_numbers_are_read_digit_by_digit_and_notes_shortened() -> None:
    said = speakable(
        "地址：幸福小区3号楼201，电话 138 0013 8000，对吗？\n"
        "高龄津贴每月100元（盐城市，2022年，样例数据；来源：盐城市民政局）"
    )
    assert "幺三八，零零幺三，八零零零" in said
    assert "二零幺" in said and "三号楼" in said
    assert "一百元" in said and "二零二二年" in said
    assert "来源" not in said and "民政局" not in said and "\n" not in said
    assert "编号是艾尺，零零零零幺二" in speakable("登记编号是 H000012。")


def test_replies_are_cut_into_clauses_with_a_short_first_one() -> None:
    parts = clauses(speakable("好的，已经帮您转人工，登记编号是 H000012。社工会尽快给您打电话。"))
    assert len(parts[0]) <= 12
    assert "".join(parts) == speakable(
        "好的，已经帮您转人工，登记编号是 H000012。社工会尽快给您打电话。"
    )
