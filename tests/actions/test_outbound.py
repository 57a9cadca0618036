"""The outbound dialogues (issue 18) against the real backend: each call's opening from the plan
the bridge sent, what each answer files, and the `linli_call` result the bridge reports."""

from typing import Any

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.outbound import (
    ActionOutboundAgain,
    ActionOutboundFine,
    ActionOutboundOpen,
    ActionOutboundRated,
    ActionOutboundStop,
    ActionOutboundUnwell,
    ActionOutboundVisit,
    ValidateRatingForm,
    rating_in,
)
from actions.settings import get_settings
from tests.actions.support import bridge_messages, make_tracker, slot_values, texts
from testsupport.servers import free_port

IN_CALL = {"outbound_call": "OC000042", "call_salutation": "王阿姨", "call_purpose": "wellbeing"}


def plan(purpose: str, **fields: str) -> dict[str, Any]:
    return {"outbound": {"purpose": purpose, "call": "OC000042", "salutation": "王阿姨", **fields}}


@pytest.mark.asyncio
async def test_a_wellbeing_call_says_who_calls_why_and_how_to_reach_a_person() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("/outbound_call", "outbound_call", metadata=plan("wellbeing"))
    events = await ActionOutboundOpen().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert said.startswith("王阿姨您好，我是社区的邻里通") and "关爱电话" in said
    assert "人工" in said and "按0" in said and said.endswith("身体还好吗？")
    slots = slot_values(events)
    assert slots["outbound_stage"] == "asked_wellbeing" and slots["outbound_call"] == "OC000042"


@pytest.mark.asyncio
async def test_an_outreach_call_explains_the_policy_in_two_sentences() -> None:
    dispatcher = CollectingDispatcher()
    metadata = plan("outreach", policy="dibao")
    tracker = make_tracker("/outbound_call", "outbound_call", metadata=metadata)
    events = await ActionOutboundOpen().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "最低生活保障" in said or "低保" in said, said
    assert "上门" in said and "人工" in said
    assert slot_values(events)["outbound_stage"] == "offered_outreach"


@pytest.mark.asyncio
async def test_outbound_call_typed_by_a_resident_is_only_a_greeting() -> None:
    dispatcher = CollectingDispatcher()
    metadata = {"outbound": {"purpose": "anything"}}
    tracker = make_tracker("/outbound_call", "outbound_call", metadata=metadata)
    assert await ActionOutboundOpen().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["response"] == "utter_greet"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("stage", "question"),
    [
        ("asked_wellbeing", "您今天身体还好吗？"),
        ("asked_need", "最近有没有什么要帮忙的？"),
        ("offered_outreach", "要不要请社区工作人员上门帮您看看？"),
    ],
)
async def test_who_is_it_on_a_call_hears_who_calls_and_the_question_again(
    stage: str, question: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("喂，哪位？", "greet", slots={**IN_CALL, "outbound_stage": stage})
    assert await ActionOutboundAgain().run(dispatcher, tracker, {}) == []
    said = texts(dispatcher)
    assert said.startswith("王阿姨您好，我是社区的邻里通") and question in said, said


@pytest.mark.asyncio
async def test_a_hello_typed_outside_a_call_is_only_a_greeting() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("你好", "greet", slots={"outbound_stage": "asked_wellbeing"})
    assert await ActionOutboundAgain().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["response"] == "utter_greet"


@pytest.mark.asyncio
async def test_feeling_fine_on_a_wellbeing_call_asks_what_is_needed() -> None:
    dispatcher = CollectingDispatcher()
    asked = {**IN_CALL, "outbound_stage": "asked_wellbeing"}
    events = await ActionOutboundFine().run(
        dispatcher, make_tracker("挺好的", "feel_fine", slots=asked), {}
    )
    assert "有没有什么要帮忙" in texts(dispatcher)
    assert slot_values(events) == {"outbound_stage": "asked_need"}
    dispatcher = CollectingDispatcher()
    events = await ActionOutboundFine().run(dispatcher, make_tracker("我挺好的", "feel_fine"), {})
    assert texts(dispatcher) == "那就好！有需要随时找我。"
    assert slot_values(events) == {"outbound_stage": None}


@pytest.mark.asyncio
async def test_feeling_unwell_files_an_urgent_need_report_and_ends_the_call(
    staff: httpx.Client,
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "今天不太舒服腰疼得厉害", "feel_unwell", slots=IN_CALL, sender_id="call:sip-unwell"
    )
    await ActionOutboundUnwell().run(dispatcher, tracker, {})
    assert "告诉社区工作人员了" in texts(dispatcher) and "120" in texts(dispatcher)
    assert bridge_messages(dispatcher) == [
        {"outcome": "unwell", "note": "今天不太舒服腰疼得厉害", "end": True}
    ]
    reports = [r for r in staff.get("/need-reports").json() if r["sender_id"] == "call:sip-unwell"]
    assert len(reports) == 1
    assert reports[0]["urgent"] and reports[0]["needs_home_visit"]
    assert reports[0]["source_detail"] == "关爱回访电话 OC000042（王阿姨）"


@pytest.mark.asyncio
async def test_unwell_with_the_backend_down_is_kept_not_called_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("身体不大好", "feel_unwell", slots=IN_CALL, sender_id="call:sip-down")
    await ActionOutboundUnwell().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "告诉社区工作人员了" not in said and "记下了" in said, said
    assert bridge_messages(dispatcher)[0]["outcome"] == "unwell"


@pytest.mark.asyncio
async def test_unwell_in_a_chat_is_followed_up_without_a_call_result(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("我这几天身体不太舒服", "feel_unwell", sender_id="tg:unwell-chat")
    await ActionOutboundUnwell().run(dispatcher, tracker, {})
    assert bridge_messages(dispatcher) == []
    reports = [r for r in staff.get("/need-reports").json() if r["sender_id"] == "tg:unwell-chat"]
    assert len(reports) == 1 and not reports[0]["urgent"]


@pytest.mark.asyncio
async def test_stop_calls_ends_the_plan_only_from_a_call() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("以后别打了", "stop_calls", slots=IN_CALL)
    await ActionOutboundStop().run(dispatcher, tracker, {})
    assert bridge_messages(dispatcher)[0]["outcome"] == "stop"
    dispatcher = CollectingDispatcher()
    await ActionOutboundStop().run(dispatcher, make_tracker("以后别打了", "stop_calls"), {})
    assert bridge_messages(dispatcher) == [] and "别打了" in texts(dispatcher)


@pytest.mark.asyncio
async def test_yes_to_outreach_books_the_home_visit(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    slots = {**IN_CALL, "call_purpose": "outreach", "call_policy": "dibao"}
    tracker = make_tracker("好啊让他们来吧", "affirm", slots=slots, sender_id="call:sip-visit")
    await ActionOutboundVisit().run(dispatcher, tracker, {})
    assert "已经登记了" in texts(dispatcher)
    assert bridge_messages(dispatcher)[0]["outcome"] == "needs_help"
    reports = [r for r in staff.get("/need-reports").json() if r["sender_id"] == "call:sip-visit"]
    assert len(reports) == 1 and reports[0]["needs_home_visit"] and "dibao" in reports[0]["text"]


@pytest.mark.parametrize(
    ("said", "rating"),
    [("4", 4), ("五分", 5), ("打三星吧", 3), ("非常满意", 5), ("一般般", 3), ("不太满意", 2),
     ("很不满意", 1), ("师傅来晚了一个小时", None), ("我不知道", None)],
)  # fmt: skip
def test_a_rating_is_read_from_digits_numbers_and_words(said: str, rating: int | None) -> None:
    assert rating_in(said) == rating


@pytest.mark.asyncio
async def test_a_complaint_instead_of_a_number_is_kept_and_the_rating_asked_once_more() -> None:
    form = ValidateRatingForm()
    dispatcher = CollectingDispatcher()
    first = await form.validate_service_rating(
        "师傅来晚了一个小时", dispatcher, make_tracker("师傅来晚了一个小时", slots=IN_CALL), {}
    )
    assert first == {"service_rating": None, "service_comment": "师傅来晚了一个小时"}
    tracker = make_tracker("不知道", slots={**IN_CALL, "service_comment": "师傅来晚了一个小时"})
    second = await form.validate_service_rating("不知道", CollectingDispatcher(), tracker, {})
    assert second == {"service_rating": "none"}


@pytest.mark.asyncio
async def test_a_low_rating_with_a_complaint_is_recorded_and_reported(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    slots = {**IN_CALL, "call_purpose": "callback", "service_rating": "2",
             "service_comment": "饭菜送来都凉了"}  # fmt: skip
    tracker = make_tracker("二分", "inform", slots=slots, sender_id="call:sip-rated")
    await ActionOutboundRated().run(dispatcher, tracker, {})
    assert "2分我记下了" in texts(dispatcher) and "转给社工" in texts(dispatcher)
    assert bridge_messages(dispatcher) == [
        {"outcome": "rated", "rating": 2, "note": "饭菜送来都凉了", "end": True}
    ]
    complaints = [f for f in staff.get("/feedback").json() if f["text"] == "饭菜送来都凉了"]
    assert len(complaints) == 1 and complaints[0]["is_complaint"] and complaints[0]["rating"] == 2
