"""Where a long message asks: its last clauses (common/clauses.py)."""

from common.clauses import ask_clause, where_asked

STORY = (
    "俺老伴儿走了三年了，俺一个人住在老楼里，一个月退休金一千二，俺想着申请个低保，恁看看给俺咋弄"
)


def test_a_short_message_is_read_whole() -> None:
    assert ask_clause("我想申请低保，怎么弄") is None
    assert ask_clause("") is None


def test_a_long_message_said_in_one_breath_is_read_whole() -> None:
    assert ask_clause("俺老伴儿走了三年了俺一个人住在老楼里一个月退休金一千二俺想申请低保") is None


def test_the_last_clauses_hold_the_request() -> None:
    assert ask_clause(STORY) == "俺想着申请个低保，恁看看给俺咋弄"
    spoken = "嗯 我今年刚下岗 五十九了找不到活 一家人就靠我 想问问临时救助咋申请"
    assert ask_clause(spoken) == "一家人就靠我，想问问临时救助咋申请"


def test_a_closing_courtesy_is_not_the_request() -> None:
    letter = (
        "您好！我们单元有一位独居老人，前不久住院自付三万元，请问医疗救助怎么申请？盼复，谢谢！"
    )
    assert ask_clause(letter) == "前不久住院自付三万元，请问医疗救助怎么申请"


def test_where_the_request_begins() -> None:
    assert where_asked(STORY) == STORY.index("俺想着申请个低保")
    assert where_asked("我想申请低保，怎么弄") == 0
