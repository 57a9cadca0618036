from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import call_facts, last_bot_text, tell_the_bridge
from actions.prompts import say


class ActionRepeat(Action):
    """ "再说一遍": say the last bot message again, word for word."""

    def name(self) -> str:
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = last_bot_text(tracker)
        if text is None:
            say(dispatcher, "nothing_to_repeat")
        else:
            dispatcher.utter_message(text=text)
        if call_facts(tracker) is not None:
            # The bridge replays what the caller last heard (its own prompts and the shortened
            # answer included); the text stands in when it has nothing to replay.
            tell_the_bridge(dispatcher, repeat=True)
        return []


# Slots each form fills for one request: cleared when the resident changes their mind.
_FORM_SLOTS = {
    "booking_form": ("service", "booking_time", "booking_confirmed"),
    "aid_form": ("id_consent", "id_number"),
    # Health and income are not kept past the check they were asked for (issue 14).
    "eligibility_form": ("disability", "serious_illness", "income"),
}


class ActionStopForm(Action):
    """ "算了，不订了" inside a form: end it politely; nothing is filed and nothing more is
    asked. Name, address and phone stay for the next request in the conversation."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, "form_stopped")
        form = tracker.active_loop_name or ""
        cleared = [SlotSet(slot, None) for slot in _FORM_SLOTS.get(form, ())]
        return [ActiveLoop(None), SlotSet("requested_slot", None), *cleared]
