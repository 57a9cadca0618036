import pytest

from common.livestream import (
    MAX_QUESTIONS,
    BatchTooLarge,
    ViewerQuestion,
    group_by_answer,
    parse_line,
    split_batch,
)


def test_a_batch_is_split_into_one_question_per_line_with_viewer_and_contact() -> None:
    batch = """
    1. 张阿姨：低保怎么申请？
    2、@老李 我家老人八十多了，高龄津贴有吗 电话138 0013 8000
    ③ [王大爷] 能不能上门理发

    请问：助餐一顿多少钱
    👍👍
    """
    questions = split_batch(batch)
    assert [q.text for q in questions] == [
        "低保怎么申请？",
        "我家老人八十多了，高龄津贴有吗",
        "能不能上门理发",
        "请问：助餐一顿多少钱",
    ]
    assert [q.viewer for q in questions] == ["张阿姨", "老李", "王大爷", None]
    assert questions[1].contact == "13800138000"
    assert questions[0].contact is None


def test_a_contact_typed_in_full_width_digits_is_taken_out_as_ascii() -> None:
    question = parse_line("张阿姨：手机号１３８ ００１３ ８０００ 低保怎么申请")
    assert question is not None
    assert (question.text, question.contact) == ("低保怎么申请", "13800138000")
    unchanged = parse_line("身份证320102194503120022里的数字不是电话")
    assert unchanged is not None and unchanged.contact is None


def test_a_line_of_only_punctuation_or_emoji_is_no_question() -> None:
    assert parse_line("？？？") is None
    assert parse_line("   ") is None


def test_an_overlong_batch_is_refused() -> None:
    with pytest.raises(BatchTooLarge):
        split_batch("\n".join(f"问题{i}" for i in range(MAX_QUESTIONS + 1)))


def test_questions_answered_alike_are_grouped_in_order_of_first_appearance() -> None:
    questions = [
        ViewerQuestion("低保怎么申请"),
        ViewerQuestion("能上门理发吗"),
        ViewerQuestion("请问低保咋申请？"),
        ViewerQuestion("啊啊啊"),
        ViewerQuestion("呜呜呜"),
        ViewerQuestion("啊啊啊！"),
    ]
    answers = ["申请低保要…", "可以预约上门理发…", "申请低保要…", "没听懂", "没听懂", "没听懂"]
    understood = [True, True, True, False, False, False]
    groups = group_by_answer(questions, answers, understood)
    assert [[q.text for q in g.questions] for g in groups] == [
        ["低保怎么申请", "请问低保咋申请？"],
        ["能上门理发吗"],
        ["啊啊啊", "啊啊啊！"],
        ["呜呜呜"],
    ]
    assert [g.understood for g in groups] == [True, True, False, False]


def test_grouping_needs_one_answer_per_question() -> None:
    with pytest.raises(ValueError):
        group_by_answer([ViewerQuestion("低保")], [], [])
