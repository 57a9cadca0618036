"""Which policies might I qualify for? A few questions, then the backend's screening rules.

Health (disability, serious illness) and income are sensitive personal information (PIPL
Art. 28): each has a consent of its own (backend purposes `health` and `income`), asked before
the first question about it and recorded in the backend. Until it is granted nothing the
resident says about it is kept; declined, its questions are skipped ("not_told"). The facts are
used for one screening and then forgotten, so they are not carried into a later session.
"""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import (
    BackendRejectedError,
    BackendUnavailableError,
    shared_backend_client,
)
from actions.conversation import channel_of, last_bot_text, latest_intent, latest_text
from actions.form_fields import read_yes_no
from actions.labels import POLICY_NAMES
from actions.prompts import load_prompts, say
from actions.resident_facts import (
    read_age,
    read_disability,
    read_income,
    read_living_alone,
    read_serious_illness,
)

# A fact the resident chose not to tell (consent declined): the form does not ask it again
# and the screening treats it as unknown.
NOT_TOLD = "not_told"
# Which consent purpose covers which slots, and the prompt that asks it.
CONSENT_SLOTS = {"health": ("disability", "serious_illness"), "income": ("income",)}
CONSENT_PROMPTS = {"health": "ask_health_consent", "income": "ask_income_consent"}
PURPOSE_OF_SLOT = {slot: purpose for purpose, slots in CONSENT_SLOTS.items() for slot in slots}
SENSITIVE_SLOTS = tuple(PURPOSE_OF_SLOT)


async def consent_answers(tracker: Tracker) -> dict[str, bool]:
    """The conversation's latest consent answer per purpose, as the backend recorded it;
    none when the backend cannot say (then nothing sensitive is asked or kept)."""
    try:
        async with shared_backend_client() as backend:
            return await backend.consent_answers(
                channel=channel_of(tracker), sender_id=tracker.sender_id
            )
    except (BackendUnavailableError, BackendRejectedError):
        return {}


def consent_question_just_asked(tracker: Tracker, purpose: str) -> bool:
    question: str = load_prompts()[CONSENT_PROMPTS[purpose]]["text"]
    return last_bot_text(tracker) == question


class ConsentFirstAskAction(Action):
    """Asks for a health or income fact, or first for the consent that covers it."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        purpose = PURPOSE_OF_SLOT[self.slot]
        if (await consent_answers(tracker)).get(purpose):
            say(dispatcher, f"ask_{self.slot}")
        else:
            say(dispatcher, CONSENT_PROMPTS[purpose])
        return []


class ActionAskDisability(ConsentFirstAskAction):
    slot = "disability"


class ActionAskSeriousIllness(ConsentFirstAskAction):
    slot = "serious_illness"


class ActionAskIncome(ConsentFirstAskAction):
    slot = "income"


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
        if not await self._consented(dispatcher, tracker, "disability"):
            return await self._consent_answer(dispatcher, tracker, "disability")
        value = read_disability(latest_text(tracker))
        if value is None and self._asked(tracker, "disability"):
            value = {"deny": "none", "affirm": "mild"}.get(latest_intent(tracker) or "")
        return self._fact("disability", value, dispatcher, tracker)

    async def extract_serious_illness(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not await self._consented(dispatcher, tracker, "serious_illness"):
            return await self._consent_answer(dispatcher, tracker, "serious_illness")
        value = read_serious_illness(latest_text(tracker))
        if value is None and self._asked(tracker, "serious_illness"):
            value = read_yes_no(latest_text(tracker), latest_intent(tracker))
        return self._fact("serious_illness", value, dispatcher, tracker)

    async def extract_income(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not await self._consented(dispatcher, tracker, "income"):
            return await self._consent_answer(dispatcher, tracker, "income")
        value = read_income(latest_text(tracker))
        if value is None and self._asked(tracker, "income"):
            value = {"deny": "none"}.get(latest_intent(tracker) or "")
        return self._fact("income", value, dispatcher, tracker)

    async def _consented(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str
    ) -> bool:
        """Whether `slot` may be read from the resident's words: its purpose's consent is
        granted. A slot the resident declined stays unread whatever they say later."""
        value = tracker.get_slot(slot)
        if value == NOT_TOLD:
            return False
        if value is not None:
            return True  # answered after consent: a correction may replace it
        return bool((await consent_answers(tracker)).get(PURPOSE_OF_SLOT[slot]))

    async def _consent_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str
    ) -> dict[str, Any]:
        """The reply to the consent question asked for `slot`, recorded in the backend before
        anything it covers is asked. Anything else said about it is not kept."""
        purpose = PURPOSE_OF_SLOT[slot]
        if not self._asked(tracker, slot) or not consent_question_just_asked(tracker, purpose):
            return {}
        answer = read_yes_no(latest_text(tracker), latest_intent(tracker))
        if answer is None:
            say(dispatcher, "invalid_fact")  # the consent question is asked again
            return {}
        consent = {
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
            "purpose": purpose,
            "granted": answer,
            "text_shown": load_prompts()[CONSENT_PROMPTS[purpose]]["text"],
        }
        try:
            async with shared_backend_client() as backend:
                await backend.record_consent(consent)
        except (BackendUnavailableError, BackendRejectedError):
            say(dispatcher, "facts_consent_not_recorded")
            return dict.fromkeys(CONSENT_SLOTS[purpose], NOT_TOLD)
        if answer:
            # The form now asks the question itself. Setting an answered slot again tells
            # Rasa the message was taken (nothing set would be a rejection of the form).
            return {"age": tracker.get_slot("age")}
        say(dispatcher, "facts_consent_declined")
        return dict.fromkeys(CONSENT_SLOTS[purpose], NOT_TOLD)

    def _fact(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if value is None:
            if self._asked(tracker, slot):
                say(dispatcher, "invalid_fact")
            return {}
        return {slot: value}


def _told(tracker: Tracker, slot: str) -> Any:
    value = tracker.get_slot(slot)
    return None if value == NOT_TOLD else value


def _screening_request(tracker: Tracker) -> dict[str, Any]:
    income = _told(tracker, "income")
    return {
        "age": tracker.get_slot("age"),
        "living_alone": tracker.get_slot("living_alone"),
        "disability_level": _told(tracker, "disability"),
        "serious_illness": _told(tracker, "serious_illness"),
        "income": "low" if income == "dibao" else income,
        "has_dibao": None if income is None else income == "dibao",
    }


class ActionScreenEligibility(Action):
    def name(self) -> str:
        return "action_screen_eligibility"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # Health and income are used for this screening only: forgotten after it, so they
        # are not carried into a later session.
        forget: list[EventType] = [SlotSet(slot, None) for slot in SENSITIVE_SLOTS]
        try:
            async with shared_backend_client() as backend:
                matches = await backend.screen_eligibility(_screening_request(tracker))
        except (BackendUnavailableError, BackendRejectedError):
            dispatcher.utter_message(
                text="不好意思，查询系统暂时连不上。您可以说“转人工”，让社工帮您看看能申请什么。"
            )
            return forget
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
            return forget
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
        return forget


class ActionSessionStart(Action):
    """A new session keeps what the resident told before (name, address, phone, age …) except
    health and income, which were consented to for one check only (the screening and a
    stopped form clear them too; this covers a check left half way)."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        carried: list[EventType] = [
            SlotSet(name, value)
            for name, value in tracker.slots.items()
            if value is not None and name not in SENSITIVE_SLOTS and name != "requested_slot"
        ]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
