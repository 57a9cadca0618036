from typing import Any

import httpx
import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.aid import ActionSubmitAid, ValidateAidForm
from tests.actions.conftest import make_tracker, texts

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
