"""Validation of the fields several forms ask for."""

import re
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.prompts import say
from actions.spoken_numbers import extract_phone

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
