"""Transcript correction before NLU, and bot text made good to hear."""

import pytest

from voice.correction import TranscriptCorrector
from voice.speakable import MORE_OFFER, Brief, brief, clauses, speakable


@pytest.fixture(scope="module")
def corrector() -> TranscriptCorrector:
    return TranscriptCorrector()


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("為你好我想問一下底保怎麼申請", "喂你好我想问一下低保怎么申请"),  # Whisper's own output
        ("未哪位", "喂哪位"),  # Whisper, on a callee answering a call Linli placed
        ("为，为，你好", "喂，喂，你好"),
        ("我想问一下地保", "我想问一下低保"),
        ("我家老头子能领高灵津贴吗", "我家老头子能领高龄津贴吗"),
        ("我上个月申请的临时就助批下来没有", "我上个月申请的临时救助批下来没有"),
        ("帮我约个上门里发", "帮我约个上门理发"),
        ("我的電話是一三八零零一三八零零零", "我的电话是13800138000"),
        ("幺三九零零零零幺幺幺幺", "13900001111"),
        ("我要定名天中午的饭送到家里。", "我要定明天中午的饭送到家里。"),  # Whisper, on d02
        # A long name with one syllable misheard outright (Whisper, on synthesised callers).
        ("我爸刚满80那个高领埔贴帮他申请一下", "我爸刚满80那个高龄津贴帮他申请一下"),
        ("我想申请支家养老的补贴", "我想申请居家养老的补贴"),
        # Danger words the emergency lexicon looks for.
        ("为为我屋里一股梅气味到处都是", "喂喂我屋里一股煤气味到处都是"),
        ("摔倒了起步来了", "摔倒了起不来了"),
        # Left alone: quantities the NLU reads as words, and sound-alikes that are real words.
        ("明天上午十点，我八十五了", "明天上午十点，我八十五了"),
        ("等一下，买一包烟", "等一下，买一包烟"),
        ("低保怎么申请", "低保怎么申请"),
        ("为什么我的低保停了", "为什么我的低保停了"),
        ("未来三天有人送饭吗", "未来三天有人送饭吗"),
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


# As actions/policy.py words a knowledge-base answer (api/policies/data/policies.yml, 低保).
POLICY_ANSWER = (
    "最低生活保障（低保）的办理流程：向户籍所在地的乡镇人民政府或街道办事处提出申请，"
    "也可以请社区（村）居委会代为提交。之后会入户调查、核对家庭经济状况，并在社区公示。"
    "审核确认一般在30个工作日内完成；情况特殊的可以延长到45个工作日。"
    "办理时要带上身份证和户口本。具体流程也可以登录民政网站 https://www.mca.gov.cn/ 查看。"
    "\n（全国，2021年，样例数据；来源：民政部《最低生活保障审核确认办法》（民发〔2021〕57号））"
)


def test_a_long_answer_is_cut_to_what_a_caller_needs_first_and_the_rest_kept() -> None:
    answer = brief(POLICY_ANSWER, 100)
    assert answer.now.endswith(MORE_OFFER)
    said = answer.now.removesuffix(MORE_OFFER)
    assert len(speakable(answer.now)) <= 100
    assert said.startswith("最低生活保障（低保）的办理流程")  # the first sentence answers
    # What to bring comes before how the check is done.
    assert "身份证" in said and "入户调查" not in said
    for never in ("来源", "http", "mca", "网站", "民发"):
        assert never not in answer.now + answer.more
    # Nothing said is lost: every sentence is now or in the details.
    for sentence in ("之后会入户调查", "30个工作日", "带上身份证和户口本", "全国、2021年"):
        assert sentence in answer.now + answer.more


def test_a_short_answer_is_said_whole_without_an_offer() -> None:
    assert brief("好的，已经为您登记，登记编号是B000123。", 60) == Brief(
        "好的，已经为您登记，登记编号是B000123。"
    )


def test_one_long_sentence_is_cut_at_a_pause() -> None:
    long = "，".join(["您可以带上身份证到社区服务中心办理"] * 6) + "。"
    answer = brief(long, 40)
    assert len(speakable(answer.now)) <= 40
    assert answer.more and answer.now.endswith(MORE_OFFER)


def test_a_read_back_that_asks_is_said_whole_however_long() -> None:
    read_back = (
        "跟您核对一下：预约助餐，时间是从明天开始每个工作日中午十二点，一共两周，"
        "地址是幸福小区三号楼二单元二零一室，电话138 0013 8000。对吗？"
    )
    assert brief(read_back, 40) == Brief(read_back)


def test_a_confirmation_a_little_over_the_aim_is_said_whole() -> None:
    confirmed = (
        "预约好了！助餐送餐，12月4日（星期五）中午，具体几点工作人员会打电话和您约。"
        "预约编号是 B000123。工作人员上门前会先给您打电话。"
    )
    assert brief(confirmed, 60) == Brief(confirmed)
    # Far over the aim, the number is among what is said first.
    cut = brief(confirmed + "另外提醒您，" * 20 + "谢谢。", 60)
    assert "B000123" in cut.now
