"""The REST channel's reply guarantees (bot/rest_channel.py); the whole stack is tested in
tests/e2e."""

import asyncio
from typing import Any

import pytest

from bot.rest_channel import (
    MAX_MESSAGE_CHARS,
    NO_ANSWER_APOLOGY,
    call_facts,
    capped,
    front_of,
    outbound_plan,
    split_needs,
    with_reply_guarantees,
)
from common.fronts import Front


def test_a_long_message_is_cut_before_nlu() -> None:
    text, cut = capped("低" * (MAX_MESSAGE_CHARS * 100))
    assert cut and len(text) == MAX_MESSAGE_CHARS
    assert capped("低保怎么申请") == ("低保怎么申请", False)
    assert capped(None) == ("", False)


def test_a_turn_without_text_gets_an_apology() -> None:
    assert with_reply_guarantees([], cut=False) == [{"text": NO_ANSWER_APOLOGY}]
    # Buttons or an image alone are no answer a resident on the phone can hear.
    assert with_reply_guarantees([{"buttons": [{"title": "是", "payload": "/affirm"}]}], False)[
        -1
    ] == {"text": NO_ANSWER_APOLOGY}


def test_a_turn_with_text_is_left_as_it_is_and_a_cut_is_said_first() -> None:
    replies = [{"text": "好的"}]
    assert with_reply_guarantees(replies, cut=False) == replies
    noted = with_reply_guarantees(replies, cut=True)
    assert str(MAX_MESSAGE_CHARS) in noted[0]["text"] and noted[1:] == replies


class ReadsByKeyword:
    """Stands in for the agent's NLU: an intent per keyword, so the split rule is tested
    on its own (the trained model is tested in tests/e2e)."""

    READINGS = {"救命": "emergency", "低保": "ask_policy", "助浴": "book_service", "谢谢": "thank"}

    async def parse_message(self, text: str) -> dict[str, Any]:
        for word, intent in self.READINGS.items():
            if word in text:
                return {"intent": {"name": intent, "confidence": 0.9}}
        return {"intent": {"name": "nlu_fallback", "confidence": 0.3}}


def test_two_needs_are_split_at_the_word_that_joins_them() -> None:
    agent = ReadsByKeyword()
    assert asyncio.run(split_needs(agent, "低保怎么申请？另外想约个助浴")) == [
        "低保怎么申请",
        "想约个助浴",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "低保怎么申请，还有谢谢你们啊",  # a thank-you is no second need
        "我还有一个问题想问低保",  # 还有 inside a sentence joins nothing
        "救命，我摔倒了，另外想约个助浴",  # an emergency is read whole
        "低保怎么申请",
    ],
)
def test_one_need_stays_one_message(text: str) -> None:
    assert asyncio.run(split_needs(ReadsByKeyword(), text)) == [text]


def test_only_a_configured_front_key_names_a_front() -> None:
    keys = {Front.telegram: "tg-key", Front.rest: "rest-key", Front.voice: ""}
    assert front_of(keys, "tg-key") == Front.telegram
    assert front_of(keys, "rest-key") == Front.rest
    # No key, a wrong key, and a front without a key configured are no front.
    assert front_of(keys, "") is None
    assert front_of(keys, "tg-key ") is None
    assert front_of({Front.voice: ""}, "") is None


def test_the_plan_of_a_placed_call_is_passed_on_as_short_strings() -> None:
    given = {"outbound": {"purpose": "wellbeing", "call": "OC000001", "salutation": "王阿姨",
                          "policy": "", "extra": "dropped", "resident": {"id": 1}}}  # fmt: skip
    assert outbound_plan(given) == {
        "purpose": "wellbeing", "call": "OC000001", "salutation": "王阿姨", "policy": "",
    }  # fmt: skip
    assert outbound_plan({"outbound": {"salutation": "x" * 500}}) == {"salutation": "x" * 32}
    assert outbound_plan({"outbound": "wellbeing"}) is None
    assert outbound_plan(None) is None


def test_the_facts_of_a_call_are_passed_on_as_digits_and_a_flag() -> None:
    given = {"call": {"caller": "+86 139-1234-5678", "human_line": True, "extra": 1}}
    assert call_facts(given) == {"caller": "8613912345678", "human_line": True}
    assert call_facts({"call": {"caller": "1" * 500, "human_line": "yes"}}) == {
        "caller": "1" * 20, "human_line": False,
    }  # fmt: skip
    assert call_facts({"call": {}}) == {"caller": "", "human_line": False}
    assert call_facts({"call": "13912345678"}) is None
    assert call_facts(None) is None
