"""Low NLU confidence: ask which of the two most likely readings the resident meant."""

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.outbound import call_again_text
from actions.prompts import say

# What each reading means to a resident, phrased to finish "您是想……". Intents without a
# phrase (greetings, yes/no, bare answers) are never offered: a button cannot help there.
INTENT_CHOICES = {
    "ask_policy": "问问政策",
    "check_eligibility": "看看自己能申请哪些补助",
    "apply_aid": "申请救助",
    "book_service": "预约上门服务",
    "check_status": "查一下办理进度",
    "cancel_booking": "取消预约",
    "give_feedback": "评价或者投诉服务",
    "request_human": "找工作人员",
    "report_hardship": "说说家里遇到的困难",
    "emergency": "紧急求助",
}


def likely_readings(latest_message: dict[str, Any], count: int = 2) -> list[str]:
    ranking = latest_message.get("intent_ranking") or []
    readings = [item["name"] for item in ranking if item.get("name") in INTENT_CHOICES]
    return readings[:count]


def button_payload(intent: str, entities: list[dict[str, Any]]) -> str:
    # Keep what was understood (the policy or service named) so it is not asked again.
    values = {e["entity"]: e["value"] for e in entities if e.get("entity") in ("policy", "service")}
    return f"/{intent}{json.dumps(values, ensure_ascii=False)}" if values else f"/{intent}"


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        on_our_call = call_again_text(tracker)
        if on_our_call is not None:
            # On a call Linli placed the callee was asked one thing: ask it again, not a menu.
            dispatcher.utter_message(text=f"不好意思，我没听清。{on_our_call}")
            return []
        readings = likely_readings(tracker.latest_message)
        if len(readings) < 2:
            say(dispatcher, "not_understood")
            return []
        first, second = (INTENT_CHOICES[intent] for intent in readings)
        entities = tracker.latest_message.get("entities") or []
        buttons = [
            {"title": INTENT_CHOICES[intent], "payload": button_payload(intent, entities)}
            for intent in readings
        ]
        buttons.append({"title": "找工作人员", "payload": "/request_human"})
        dispatcher.utter_message(
            text=f"不好意思，我没太听明白。您是想{first}，还是想{second}？",
            buttons=buttons,
        )
        return []
