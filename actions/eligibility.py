"""Which policies might I qualify for? A few questions, then the backend's screening rules."""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient, BackendRejectedError, BackendUnavailableError
from actions.conversation import latest_intent, latest_text
from actions.form_fields import read_yes_no
from actions.labels import POLICY_NAMES
from actions.prompts import say
from actions.resident_facts import (
    read_age,
    read_disability,
    read_income,
    read_living_alone,
    read_serious_illness,
)


class ValidateEligibilityForm(FormValidationAction):
    """Every answer is read from the resident's own words; a fact said early is not asked."""

    def name(self) -> str:
        return "validate_eligibility_form"

    @staticmethod
    def _asked(tracker: Tracker, slot: str) -> bool:
        return bool(tracker.get_slot("requested_slot") == slot)

    async def extract_age(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        age = read_age(latest_text(tracker))
        if age is None:
            if self._asked(tracker, "age"):
                say(dispatcher, "invalid_age")
            return {}
        return {"age": age}

    async def extract_living_alone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = read_living_alone(latest_text(tracker))
        if value is None and self._asked(tracker, "living_alone"):
            value = read_yes_no(latest_text(tracker), latest_intent(tracker))
        return self._fact("living_alone", value, dispatcher, tracker)

    async def extract_disability(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = read_disability(latest_text(tracker))
        if value is None and self._asked(tracker, "disability"):
            value = {"deny": "none", "affirm": "mild"}.get(latest_intent(tracker) or "")
        return self._fact("disability", value, dispatcher, tracker)

    async def extract_serious_illness(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = read_serious_illness(latest_text(tracker))
        if value is None and self._asked(tracker, "serious_illness"):
            value = read_yes_no(latest_text(tracker), latest_intent(tracker))
        return self._fact("serious_illness", value, dispatcher, tracker)

    async def extract_income(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = read_income(latest_text(tracker))
        if value is None and self._asked(tracker, "income"):
            value = {"deny": "none"}.get(latest_intent(tracker) or "")
        return self._fact("income", value, dispatcher, tracker)

    def _fact(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if value is None:
            if self._asked(tracker, slot):
                say(dispatcher, "invalid_fact")
            return {}
        return {slot: value}


def _screening_request(tracker: Tracker) -> dict[str, Any]:
    income = tracker.get_slot("income")
    return {
        "age": tracker.get_slot("age"),
        "living_alone": tracker.get_slot("living_alone"),
        "disability_level": tracker.get_slot("disability"),
        "serious_illness": tracker.get_slot("serious_illness"),
        "income": "low" if income == "dibao" else income,
        "has_dibao": income == "dibao",
    }


class ActionScreenEligibility(Action):
    def name(self) -> str:
        return "action_screen_eligibility"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            async with BackendClient() as backend:
                matches = await backend.screen_eligibility(_screening_request(tracker))
        except (BackendUnavailableError, BackendRejectedError):
            dispatcher.utter_message(
                text="不好意思，查询系统暂时连不上。您可以说“转人工”，让社工帮您看看能申请什么。"
            )
            return []
        asked_about = tracker.get_slot("policy")
        lines = []
        if asked_about in POLICY_NAMES:
            named = POLICY_NAMES[asked_about]
            if any(match.policy == asked_about for match in matches):
                lines.append(f"您问的{named}，按您说的情况，看起来是符合条件的。")
            else:
                lines.append(f"您问的{named}，按您说的情况暂时看不出符合，最后以社工审核为准。")
        if not matches:
            lines.append("按您说的情况，暂时没有找到明显符合的补助。社工可以帮您再仔细看看。")
            dispatcher.utter_message(
                text="\n".join(lines),
                buttons=[{"title": "找工作人员", "payload": "/request_human"}],
            )
            return []
        lines.append("按您说的情况，您可能可以申请：")
        for index, match in enumerate(matches[:4], start=1):
            lines.append(f"{index}. {match.name}：{match.reason}{match.next_step}")
        lines.append("要我现在帮您申请吗？")
        buttons = [
            {"title": f"申请{POLICY_NAMES.get(m.policy, m.name)}",
             "payload": f'/apply_aid{{"policy": "{m.policy}"}}'}
            for m in matches[:3]
            if m.apply_via_assistant
        ]  # fmt: skip
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return []
