"""Validation of the fields several forms ask for."""

import re
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.prompts import say
from common.personal_numbers import extract_phone

_NAME_PREFIX = re.compile(
    r"^(?:我(?:的名字)?(?:叫|是)|(?:他|她|我[妈爸爹娘]|老人|申请人)(?:叫|是)|名字(?:是|叫)|"
    r"姓名(?:是)?|叫)"
)
_NOT_NAME = re.compile(r"[0-9０-９@#/\\]")


def validate_phone(value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    phone = extract_phone(str(value or ""))
    if phone is None:
        say(dispatcher, "invalid_phone")
    return {"phone": phone}


def clean_name(text: str) -> str | None:
    """The name in "我叫王秀英啊" -> "王秀英", or None when it does not look like a name."""
    name = _NAME_PREFIX.sub("", text.strip())
    name = re.sub(r"[\s，,。.！!？?、]+|[啊呀吧呢哈嘛]+$", "", name)
    if not 2 <= len(name) <= 20 or _NOT_NAME.search(name):
        return None
    return name


# Yes and no as residents say them. "不" forms first: "不同意" contains "同意".
_NO = re.compile(r"不同意|不行|不要|不用|不愿意|不方便|不对|不是|算了|别|没有|否|错了|不中|不得")
_YES = re.compile(r"同意|可以|行|好|愿意|是|对|嗯|没问题|中|要得|要的|没错|确认|OK|ok|yes")
_INTENT_ANSWER = {"affirm": True, "deny": False}


def read_yes_no(text: str, intent: str | None) -> bool | None:
    """A yes/no answer read from the words, the NLU intent only when the words do not say."""
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return _INTENT_ANSWER.get(intent or "")
