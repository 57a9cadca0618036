"""Low NLU confidence: the bot offers the two likeliest readings as buttons."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarify, button_payload, likely_readings
from tests.actions.support import buttons, make_tracker, texts

pytestmark = pytest.mark.asyncio


async def test_two_likely_readings_are_offered_with_a_person() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "那个上门的事情怎么样了",
        "book_service",
        intent_ranking=[
            ("book_service", 0.41),
            ("greet", 0.3),
            ("check_status", 0.2),
            ("ask_policy", 0.05),
        ],
    )
    events = await ActionClarify().run(dispatcher, tracker, {})
    assert events == []
    assert texts(dispatcher) == "不好意思，我没太听明白。您是想预约上门服务，还是想查一下办理进度？"
    assert buttons(dispatcher) == [
        ("预约上门服务", "/book_service"),  # greetings are never offered: a button cannot help
        ("查一下办理进度", "/check_status"),
        ("找工作人员", "/request_human"),
    ]


async def test_what_was_understood_rides_along_in_the_buttons() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "低保那个",
        "ask_policy",
        entities={"policy": "dibao"},
        intent_ranking=[("ask_policy", 0.38), ("apply_aid", 0.35)],
    )
    await ActionClarify().run(dispatcher, tracker, {})
    assert buttons(dispatcher)[:2] == [
        ("问问政策", '/ask_policy{"policy": "dibao"}'),
        ("申请救助", '/apply_aid{"policy": "dibao"}'),
    ]


async def test_without_two_readings_to_offer_the_bot_says_what_it_can_do() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "嗯嗯", "affirm", intent_ranking=[("affirm", 0.5), ("check_status", 0.2), ("deny", 0.1)]
    )
    await ActionClarify().run(dispatcher, tracker, {})
    assert "我可以帮您查政策、申请救助、预约上门服务" in texts(dispatcher)
    assert ("找工作人员", "/request_human") in buttons(dispatcher)
    assert ("查一下办理进度", "/check_status") not in buttons(dispatcher)


async def test_likely_readings_skip_intents_without_a_phrase() -> None:
    ranking = [{"name": "greet"}, {"name": "emergency"}, {"name": "inform"}, {"name": "ask_policy"}]
    assert likely_readings({"intent_ranking": ranking}) == ["emergency", "ask_policy"]
    ranking += [{"name": "apply_aid"}]
    assert likely_readings({"intent_ranking": ranking}, count=3) == [
        "emergency",
        "ask_policy",
        "apply_aid",
    ]
    assert likely_readings({}) == []


async def test_button_payload_keeps_only_policy_and_service() -> None:
    entities = [
        {"entity": "service", "value": "zhucan"},
        {"entity": "phone", "value": "13800138000"},
    ]
    assert button_payload("book_service", entities) == '/book_service{"service": "zhucan"}'
    assert button_payload("request_human", []) == "/request_human"


async def test_on_a_call_linli_placed_the_question_is_asked_again_not_a_menu() -> None:
    dispatcher = CollectingDispatcher()
    slots = {"outbound_call": "OC000042", "call_salutation": "王阿姨"}
    tracker = make_tracker(
        "未哪位",
        "nlu_fallback",
        slots={**slots, "outbound_stage": "asked_wellbeing"},
        intent_ranking=[("greet", 0.4), ("book_service", 0.3), ("check_status", 0.2)],
    )
    assert await ActionClarify().run(dispatcher, tracker, {}) == []
    assert texts(dispatcher) == (
        "不好意思，我没听清。王阿姨您好，我是社区的邻里通，给您打个关爱电话。您今天身体还好吗？"
    )
    assert buttons(dispatcher) == []
