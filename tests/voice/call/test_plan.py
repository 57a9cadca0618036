"""What a placed call found, as the bridge reports it, and what counts as no answer."""

import pytest

from voice.call.plan import MACHINE_WORDS, CallFindings, PlannedCall, dial_string


def test_a_claimed_call_without_a_phone_cannot_be_placed() -> None:
    claimed = {"id": 7, "number": "OC000007", "purpose": "wellbeing", "phone": None}
    assert PlannedCall.from_claim(claimed) is None
    call = PlannedCall.from_claim({**claimed, "phone": "138 0013 8000", "salutation": "王阿姨"})
    assert call is not None and call.rasa_metadata()["outbound"] == {
        "purpose": "wellbeing", "call": "OC000007", "salutation": "王阿姨", "policy": "",
    }  # fmt: skip


def test_phone_numbers_are_dialled_as_digits() -> None:
    assert dial_string("+86 138-0013-8000") == "+8613800138000"
    assert dial_string("(025) 1234 5678") == "02512345678"


@pytest.mark.parametrize(
    "heard",
    ["您拨打的电话暂时无法接通请稍后再拨", "您好，您拨打的用户已关机", "请在提示音后留言",
     "您所拨打的号码是空号", "对方正在通话中"],
)  # fmt: skip
def test_answering_machines_and_network_announcements_are_no_answer(heard: str) -> None:
    assert MACHINE_WORDS.search(heard)


@pytest.mark.parametrize("heard", ["喂你好", "谁呀", "我挺好的", "你是哪里"])
def test_people_answering_are_people(heard: str) -> None:
    assert not MACHINE_WORDS.search(heard)


def test_what_the_call_found_goes_by_what_matters_most() -> None:
    assert CallFindings().result() == {"answered": False, "note": ""}
    spoke = CallFindings(answered=True)
    assert spoke.result()["outcome"] == "unclear"
    spoke.needs = True
    assert spoke.result()["outcome"] == "needs_help"
    assert spoke.take({"outcome": "fine", "note": "", "end": True}) is True
    assert spoke.result()["outcome"] == "fine"
    spoke.emergency = True
    assert spoke.result()["outcome"] == "emergency"


def test_rasa_results_are_checked() -> None:
    findings = CallFindings(answered=True)
    assert findings.take({"outcome": "not-an-outcome", "rating": 9, "end": False}) is False
    assert findings.result() == {"answered": True, "outcome": "unclear", "note": ""}
    findings.take({"outcome": "rated", "rating": 4, "note": "师傅很耐心", "end": True})
    assert findings.result() == {
        "answered": True, "outcome": "rated", "rating": 4, "note": "师傅很耐心",
    }  # fmt: skip
