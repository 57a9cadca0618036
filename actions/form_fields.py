"""Validation of the fields several forms ask for."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.backend import (
    BackendRejectedError,
    BackendUnavailableError,
    shared_backend_client,
)
from actions.booking_plan import resolve_booking_plan
from actions.booking_time import resolve_booking_time
from actions.prompts import say
from common.personal_numbers import extract_phone, is_sealed_reference, sealed_at

# Half the backend's lifetime of a sealed number (48 hours): what is filed with it, even
# through the outbox, reaches the backend in time.
RESEAL_AFTER = timedelta(hours=24)
NUMBER_NOT_KEPT = (
    "不好意思，系统暂时连不上，这个号码没能记下，也没有提交任何东西。"
    "请稍后再说一遍，或者说“转人工”找工作人员。"
)

# A change of mind inside a form ("算了，不订了"): the form ends politely, nothing is filed.
_CHANGE_OF_MIND = re.compile(
    r"算了|不要了|不用了|不(订|约|预约|办|申请|弄|问)了|先不(订|约|预约|办|申请|弄|问)|"
    r"取消(吧|算了)|不想(订|约|预约|办|申请)了"
)
# A correction of a field already given: "地址不对，是幸福小区5号楼", "电话改成139…".
_CORRECTION = re.compile(
    r"(?P<field>地址|住址|电话|手机|号码|时间)"
    r"(?:不对|错了|写错了|说错了|有误)?[，,。\s]*(?:应该|改成|改为|换成|是|在)+[：:\s]*(?P<value>.+)"
)

_NAME_PREFIX = re.compile(
    r"^(?:我(?:的名字)?(?:叫|是)|(?:他|她|我[妈爸爹娘]|老人|申请人)(?:叫|是)|名字(?:是|叫)|"
    r"姓名(?:是)?|叫)"
)
_NOT_NAME = re.compile(r"[0-9０-９@#/\\]")


async def sealed(kind: str, value: str, dispatcher: CollectingDispatcher) -> str | None:
    """The backend's sealed reference for a phone or ID number the resident just gave: the
    slot keeps it, never the number (trackers, logs and the outbox hold no number in
    clear; the backend opens it when the case or booking is filed). None, with an apology,
    when the backend cannot seal it now: the form asks again."""
    try:
        async with shared_backend_client() as backend:
            return await backend.seal_number(kind=kind, value=value)
    except (BackendUnavailableError, BackendRejectedError):
        dispatcher.utter_message(text=NUMBER_NOT_KEPT)
        return None


def needs_resealing(value: Any) -> bool:
    """A sealed number older than RESEAL_AFTER: the slots of a conversation carry over to
    its next sessions, and the backend accepts a reference only for 48 hours."""
    if not is_sealed_reference(value):
        return False
    made = sealed_at(str(value))
    return made is None or datetime.now(UTC) - made > RESEAL_AFTER


async def validate_phone(value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    if value is None:
        return {"phone": None}  # a stale sealed phone dropped: the form asks again
    if is_sealed_reference(value):
        return {"phone": value}  # sealed on an earlier turn
    phone = extract_phone(str(value or ""))
    if phone is None:
        say(dispatcher, "invalid_phone")
        return {"phone": None}
    return {"phone": await sealed("phone", phone, dispatcher)}


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


def changes_mind(text: str) -> bool:
    return _CHANGE_OF_MIND.search(text) is not None


def read_correction(text: str, now: datetime) -> dict[str, Any] | None:
    """The slot a correction replaces, with its new value, or None when `text` corrects
    nothing. The confirmation stays unanswered, so the form reads the booking back again."""
    match = _CORRECTION.search(text)
    if match is None:
        return None
    field, value = match.group("field"), match.group("value").strip(" ，,。.！!")
    if field in ("地址", "住址") and len(value) >= 4:
        return {"address": value[:200]}
    if field in ("电话", "手机", "号码") and (phone := extract_phone(value)):
        return {"phone": phone}
    if field == "时间":
        if plan := resolve_booking_plan(value, now):
            return {"booking_time": plan.as_slot()}
        if resolved := resolve_booking_time(value, now):
            return {
                "booking_time": {
                    "iso": resolved.when.isoformat(),
                    "text": resolved.text,
                    "precision": resolved.precision.value,
                }
            }
    return None
