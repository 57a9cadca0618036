"""Ratings, praise and complaints about a service."""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import (
    BackendRejectedError,
    BackendUnavailableError,
    shared_backend_client,
)
from actions.conversation import channel_of, latest_text

_RATING = re.compile(r"([1-5一二两三四五])\s*(?:星|颗星|分|顆星)")
_RATING_WORDS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_COMPLAINT = re.compile(
    r"投诉|太差|很差|不满意|不好|态度|没来|迟到|凉|骗|乱收费|差评|举报|不行|糟糕|生气|投訴"
)


def parse_feedback(text: str) -> tuple[int | None, bool]:
    """(rating 1-5 or None, is_complaint) from what the resident said."""
    rating: int | None = None
    match = _RATING.search(text)
    if match:
        digit = match.group(1)
        rating = int(digit) if digit.isdigit() else _RATING_WORDS[digit]
    elif "满分" in text or "好评" in text:
        rating = 5
    elif "差评" in text:
        rating = 1
    is_complaint = bool(_COMPLAINT.search(text)) and not (rating and rating >= 4)
    if rating is not None and rating <= 2:
        is_complaint = True
    return rating, is_complaint


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        rating, is_complaint = parse_feedback(text)
        payload: dict[str, Any] = {
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
            "rating": rating,
            "is_complaint": is_complaint,
            "text": text[:4000],
        }
        try:
            async with shared_backend_client() as backend:
                await backend.create_feedback(payload)
        except BackendUnavailableError:
            pass  # queued in the outbox: the resident's words are not lost
        except BackendRejectedError:
            dispatcher.utter_message(
                text="不好意思，您的意见没能记下来，请说“转人工”直接告诉社工。"
            )
            return []
        if is_complaint:
            dispatcher.utter_message(
                text="非常抱歉给您添了麻烦。您的意见已经记下，社工会跟服务单位核实，并回访您。"
            )
        else:
            dispatcher.utter_message(text="谢谢您的评价，我们会转告服务人员，继续做好。")
        return []
