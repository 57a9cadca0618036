"""The fixed prompts of actions/prompts.yml, and the actions that ask for form slots."""

from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

PROMPTS_FILE = Path(__file__).resolve().parent / "prompts.yml"


@lru_cache
def load_prompts() -> dict[str, dict[str, Any]]:
    prompts: dict[str, dict[str, Any]] = yaml.safe_load(PROMPTS_FILE.read_text(encoding="utf-8"))
    return prompts


def say(dispatcher: CollectingDispatcher, prompt: str) -> None:
    entry = load_prompts()[prompt]
    dispatcher.utter_message(text=entry["text"], buttons=entry.get("buttons", []))


class AskAction(Action, ABC):
    """Asks for one form slot (Rasa runs `action_ask_<slot>` when the form needs it).

    Abstract, so that the action server registers only the subclasses, which set both names.
    """

    @property
    @abstractmethod
    def action_name(self) -> str: ...

    @property
    @abstractmethod
    def prompt(self) -> str: ...

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        say(dispatcher, self.prompt)
        return []


class ActionAskService(AskAction):
    action_name, prompt = "action_ask_service", "ask_service"


class ActionAskBookingTime(AskAction):
    action_name, prompt = "action_ask_booking_time", "ask_booking_time"


class ActionAskAddress(AskAction):
    action_name, prompt = "action_ask_address", "ask_address"


class ActionAskPhone(AskAction):
    action_name, prompt = "action_ask_phone", "ask_phone"


class ActionAskApplicantName(AskAction):
    action_name, prompt = "action_ask_applicant_name", "ask_applicant_name"


class ActionAskAidFormPolicy(AskAction):
    action_name, prompt = "action_ask_aid_form_policy", "ask_aid_policy"


class ActionAskAge(AskAction):
    action_name, prompt = "action_ask_age", "ask_age"


class ActionAskLivingAlone(AskAction):
    action_name, prompt = "action_ask_living_alone", "ask_living_alone"


# action_ask_disability, action_ask_serious_illness and action_ask_income ask for consent
# first: actions/eligibility.py.


class ActionAskIdConsent(AskAction):
    action_name, prompt = "action_ask_id_consent", "ask_id_consent"


class ActionAskIdNumber(AskAction):
    action_name, prompt = "action_ask_id_number", "ask_id_number"
