from typing import Any

import httpx
import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.aid import ActionSubmitAid, ValidateAidForm
from common.personal_numbers import is_sealed_reference, masked_form
from tests.actions.support import make_tracker, slot_values, texts

pytestmark = pytest.mark.asyncio


async def test_name_is_cleaned_and_bad_name_asked_again(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "我叫王秀英", "inform",
        slots={"policy": "dibao", "requested_slot": "applicant_name"},
        extracted={"applicant_name": "我叫王秀英"},
        active_loop="aid_form",
    )  # fmt: skip
    events = await ValidateAidForm().run(dispatcher, tracker, domain)
    assert SlotSet("applicant_name", "王秀英") in events

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "13800138000", "inform",
        slots={"policy": "dibao", "requested_slot": "applicant_name"},
        extracted={"applicant_name": "13800138000"},
        active_loop="aid_form",
    )  # fmt: skip
    events = await ValidateAidForm().run(dispatcher, tracker, domain)
    assert SlotSet("applicant_name", None) in events
    assert "名字好像不太对" in texts(dispatcher)


async def test_submitted_application_is_a_case_with_its_number(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "13900001111",
        "inform",
        slots={"policy": "dibao", "applicant_name": "王秀英", "phone": "13900001111"},
        sender_id="aid-1",
        metadata={"channel": "voice"},
    )
    await ActionSubmitAid().run(dispatcher, tracker, {})
    reply = texts(dispatcher)
    assert "低保申请已经提交" in reply and "身份证" in reply  # materials from the knowledge base
    number = reply.split("申请编号是 ")[1][:7]
    case = staff.get(f"/cases/{number}").json()
    assert case["policy_code"] == "dibao"
    assert case["applicant_name"] == "王秀英"
    assert case["phone"] == "13900001111"
    assert case["channel"] == "voice"


async def test_consent_is_recorded_before_the_id_number_is_asked(
    domain: dict[str, Any], staff: httpx.Client
) -> None:
    dispatcher = CollectingDispatcher()
    base = {"policy": "dibao", "applicant_name": "李建国", "phone": "13900001111"}
    tracker = make_tracker(
        "同意", "affirm", slots={**base, "requested_slot": "id_consent"},
        extracted={"id_consent": True}, sender_id="consent-1", active_loop="aid_form",
    )  # fmt: skip
    events = await ValidateAidForm().run(dispatcher, tracker, domain)
    assert SlotSet("id_consent", True) in events
    consents = staff.get("/consents", params={"channel": "chat", "sender_id": "consent-1"}).json()
    assert [(c["purpose"], c["granted"]) for c in consents] == [("id_number", True)]

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "一一零一零五一九四九一二三一零零二叉", "inform",
        slots={**base, "id_consent": True, "requested_slot": "id_number"},
        extracted={"id_number": "一一零一零五一九四九一二三一零零二叉"},
        sender_id="consent-1", active_loop="aid_form",
    )  # fmt: skip
    events = await ValidateAidForm().run(dispatcher, tracker, domain)
    # The slot keeps the backend's sealed reference, never the number (issue 14).
    sealed = slot_values(events)["id_number"]
    assert is_sealed_reference(sealed) and masked_form(sealed) == "1101**********002X"
    assert "11010519491231002X" not in sealed

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "好的", "inform",
        slots={**base, "id_consent": True, "id_number": sealed},
        sender_id="consent-1",
    )  # fmt: skip
    events = await ActionSubmitAid().run(dispatcher, tracker, {})
    assert SlotSet("id_number", None) in events  # not kept in the conversation
    number = texts(dispatcher).split("申请编号是 ")[1][:7]
    assert staff.get(f"/cases/{number}").json()["id_number"] == "1101**********002X"


async def test_without_consent_no_id_number_is_asked(domain: dict[str, Any]) -> None:
    form = ValidateAidForm()
    tracker = make_tracker("不同意", "deny", slots={"id_consent": False})
    slots = await form.required_slots(
        ["policy", "applicant_name", "phone", "id_consent", "id_number"],
        CollectingDispatcher(), tracker, domain,
    )  # fmt: skip
    assert slots == ["policy", "applicant_name", "phone", "id_consent"]


async def test_a_wrong_id_number_is_asked_again(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "110105194912310021", "inform",
        slots={"policy": "dibao", "id_consent": True, "requested_slot": "id_number"},
        extracted={"id_number": "110105194912310021"}, active_loop="aid_form",
    )  # fmt: skip
    events = await ValidateAidForm().run(dispatcher, tracker, domain)
    assert SlotSet("id_number", None) in events
    assert "身份证号好像不对" in texts(dispatcher)


async def test_consent_is_read_from_the_words(domain: dict[str, Any]) -> None:
    base = {"policy": "dibao", "applicant_name": "李建国", "phone": "13900001111"}
    for said, intent, granted in [("同意", "inform", True), ("不同意", "affirm", False)]:
        tracker = make_tracker(
            said, intent, slots={**base, "requested_slot": "id_consent"},
            sender_id=f"consent-words-{granted}", active_loop="aid_form",
        )  # fmt: skip
        events = await ValidateAidForm().run(CollectingDispatcher(), tracker, domain)
        assert SlotSet("id_consent", granted) in events
