from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import last_bot_text
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
        return []
