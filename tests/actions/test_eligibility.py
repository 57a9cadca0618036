"""Which policies might I qualify for: the form reads facts from the resident's own words, then
the backend's screening rules answer."""

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import BackendClient
from actions.eligibility import ActionScreenEligibility, ValidateEligibilityForm
from actions.settings import get_settings
from tests.actions.support import buttons, make_tracker, slot_values, texts
from testsupport.servers import free_port

pytestmark = pytest.mark.asyncio

# An 85-year-old living alone, healthy, with a pension: only age-based help applies.
OLD_BUT_WELL = {
    "age": 85,
    "living_alone": True,
    "disability": "none",
    "serious_illness": False,
    "income": "normal",
}


async def grant_facts_consent(sender_id: str = "test-conversation") -> None:
    """Health and income are asked only after their own consent (actions/eligibility.py)."""
    async with BackendClient() as backend:
        for purpose in ("health", "income"):
            await backend.record_consent(
                {"channel": "chat", "sender_id": sender_id, "purpose": purpose,
                 "granted": True, "text_shown": "测试：同意询问"}
            )  # fmt: skip


async def validate(
    domain: dict[str, Any], text: str, intent: str, slots: dict[str, Any]
) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, slots=slots, active_loop="eligibility_form")
    events = await ValidateEligibilityForm().run(dispatcher, tracker, domain)
    return slot_values(events), dispatcher


async def test_facts_said_early_are_not_asked_again(domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate(
        domain, "我今年八十二了，老伴去世了，就我自己住", "inform", {"requested_slot": "age"}
    )
    assert slots["age"] == 82
    assert slots["living_alone"] is True
    # Facts the words did not give are left for the form to ask, silently.
    assert {"disability", "serious_illness", "income"}.isdisjoint(slots)
    assert texts(dispatcher) == ""


async def test_an_age_not_understood_is_asked_again(domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate(domain, "这个嘛不好说", "inform", {"requested_slot": "age"})
    assert "age" not in slots
    assert "年龄我没听明白" in texts(dispatcher)


async def test_a_bare_yes_or_no_answers_the_question_asked(domain: dict[str, Any]) -> None:
    await grant_facts_consent()
    answered = {"age": 70, "living_alone": False}
    slots, _ = await validate(
        domain, "有的", "affirm", {**answered, "requested_slot": "disability"}
    )
    assert slots["disability"] == "mild"  # a disability without a level: the lowest band

    slots, _ = await validate(
        domain, "没有", "deny",
        {**answered, "disability": "none", "requested_slot": "serious_illness"},
    )  # fmt: skip
    assert slots["serious_illness"] is False


async def test_an_answer_not_understood_is_asked_again(domain: dict[str, Any]) -> None:
    await grant_facts_consent()
    answered = {"age": 70, "living_alone": False, "disability": "none", "serious_illness": False}
    slots, dispatcher = await validate(
        domain, "天气不错", "inform", {**answered, "requested_slot": "income"}
    )
    assert "income" not in slots
    assert "这个我没听明白" in texts(dispatcher)

    slots, _ = await validate(
        domain, "已经在吃低保了", "inform", {**answered, "requested_slot": "income"}
    )
    assert slots["income"] == "dibao"


async def test_screening_offers_what_the_rules_match_with_buttons_to_apply() -> None:
    dispatcher = CollectingDispatcher()
    await ActionScreenEligibility().run(dispatcher, make_tracker("", slots=OLD_BUT_WELL), {})
    reply = texts(dispatcher)
    assert "您可能可以申请" in reply
    assert "高龄津贴" in reply and "您85岁" in reply  # the backend's reason, with the age
    assert ("申请高龄津贴", '/apply_aid{"policy": "gaoling_jintie"}') in buttons(dispatcher)
    assert "要我现在帮您申请吗" in reply


async def test_screening_answers_the_policy_asked_about_first() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", slots={**OLD_BUT_WELL, "policy": "gaoling_jintie"})
    await ActionScreenEligibility().run(dispatcher, tracker, {})
    assert texts(dispatcher).startswith("您问的高龄津贴，按您说的情况，看起来是符合条件的。")

    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", slots={**OLD_BUT_WELL, "policy": "dibao"})
    await ActionScreenEligibility().run(dispatcher, tracker, {})
    assert texts(dispatcher).startswith("您问的低保，按您说的情况暂时看不出符合")


async def test_already_on_dibao_is_sent_as_such() -> None:
    # "在领低保" is income "dibao" to the form, but has_dibao to the backend's rules.
    dispatcher = CollectingDispatcher()
    slots = {**OLD_BUT_WELL, "age": 50, "living_alone": False, "disability": "mild",
             "income": "dibao"}  # fmt: skip
    await ActionScreenEligibility().run(dispatcher, make_tracker("", slots=slots), {})
    assert "困难残疾人生活补贴" in texts(dispatcher)  # disabled in a dibao household
    assert "低保家庭中的残疾人" in texts(dispatcher)


async def test_no_match_offers_a_social_worker() -> None:
    dispatcher = CollectingDispatcher()
    slots = {"age": 40, "living_alone": False, "disability": "none",
             "serious_illness": False, "income": "normal"}  # fmt: skip
    await ActionScreenEligibility().run(dispatcher, make_tracker("", slots=slots), {})
    assert "暂时没有找到明显符合的补助" in texts(dispatcher)
    assert buttons(dispatcher) == [("找工作人员", "/request_human")]


async def test_screening_with_the_backend_down_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    await ActionScreenEligibility().run(dispatcher, make_tracker("", slots=OLD_BUT_WELL), {})
    assert "查询系统暂时连不上" in texts(dispatcher)
