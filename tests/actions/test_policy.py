import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.policy import ActionAnswerPolicy, detect_aspect
from tests.actions.support import make_tracker, texts

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("高龄津贴一个月多少钱", "amount"),
        ("那要带什么材料", "materials"),
        ("低保多久能批下来", "timeline"),
        ("临时救助去哪里办", "process"),
        ("低保有啥条件", "conditions"),
        ("说说低保", None),
    ],
)
async def test_detect_aspect(question: str, aspect: str | None) -> None:
    assert detect_aspect(question) == aspect


async def test_amount_answer_names_region_year_and_source() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "高龄津贴一个月多少钱", "ask_policy", entities={"policy": "gaoling_jintie"}
    )
    events = await ActionAnswerPolicy().run(dispatcher, tracker, {})
    reply = texts(dispatcher)
    assert "100元" in reply and "盐城市" in reply and "2022" in reply and "样例数据" in reply
    assert events == [SlotSet("policy", "gaoling_jintie")]


async def test_follow_up_keeps_the_policy_in_context() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("那要带什么材料", "ask_policy", slots={"policy": "dibao"})
    await ActionAnswerPolicy().run(dispatcher, tracker, {})
    assert "最低生活保障（低保）的所需材料" in texts(dispatcher)


async def test_eligibility_question_gets_the_conditions() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "我妈九十了能领吗", "check_eligibility", entities={"policy": "gaoling_jintie"}
    )
    await ActionAnswerPolicy().run(dispatcher, tracker, {})
    assert "申请条件" in texts(dispatcher) and "80周岁" in texts(dispatcher)


async def test_without_a_policy_the_bot_asks_which() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy().run(dispatcher, make_tracker("怎么申请", "ask_policy"), {})
    assert "哪项政策" in texts(dispatcher)
    assert dispatcher.messages[0]["buttons"]


async def test_policy_without_details_offers_a_person() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("社保怎么交", "ask_policy", entities={"policy": "shebao"})
    await ActionAnswerPolicy().run(dispatcher, tracker, {})
    assert "转人工" in texts(dispatcher)
