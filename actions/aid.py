"""Applying for social assistance: a short form, then a case in the backend."""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import (
    BackendRejectedError,
    BackendUnavailableError,
    shared_backend_client,
)
from actions.conversation import channel_of, latest_intent, latest_text
from actions.form_fields import (
    clean_name,
    needs_resealing,
    read_yes_no,
    sealed,
    validate_phone,
)
from actions.labels import POLICY_NAMES
from actions.prompts import load_prompts, say
from common.personal_numbers import extract_id_number, is_sealed_reference


class ValidateAidForm(FormValidationAction):
    def name(self) -> str:
        return "validate_aid_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # No consent, no ID number: the question is never asked.
        if tracker.get_slot("id_consent") is False:
            return [slot for slot in domain_slots if slot != "id_number"]
        return domain_slots

    async def extract_id_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "id_consent":
            return {}
        answer = read_yes_no(latest_text(tracker), latest_intent(tracker))
        return {} if answer is None else {"id_consent": answer}

    async def validate_id_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Record the answer in the backend before anything sensitive is asked."""
        consent = {
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
            "purpose": "id_number",
            "granted": bool(value),
            "text_shown": load_prompts()["ask_id_consent"]["text"],
        }
        try:
            async with shared_backend_client() as backend:
                await backend.record_consent(consent)
        except (BackendUnavailableError, BackendRejectedError):
            if value:
                say(dispatcher, "consent_not_recorded")
            return {"id_consent": False}
        return {"id_consent": bool(value)}

    async def validate_id_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "":
            return {"id_number": ""}  # "不方便": the social worker checks it later
        if is_sealed_reference(value):
            return {"id_number": value}  # sealed on an earlier turn
        id_number = extract_id_number(str(value))
        if id_number is None:
            say(dispatcher, "invalid_id_number")
            return {"id_number": None}
        # Sealed at once: the slot, the tracker and the outbox keep the backend's reference.
        return {"id_number": await sealed("id_number", id_number, dispatcher)}

    def validate_policy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in POLICY_NAMES:
            return {"policy": value}
        say(dispatcher, "unknown_policy")
        return {"policy": None}

    def validate_applicant_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_name(str(value or ""))
        if name is None:
            say(dispatcher, "invalid_applicant_name")
        return {"applicant_name": name}

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await validate_phone(value, dispatcher)

    async def extract_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # A phone sealed in an earlier session would be refused by now: asked again.
        return {"phone": None} if needs_resealing(tracker.get_slot("phone")) else {}


class ActionSubmitAid(Action):
    def name(self) -> str:
        return "action_submit_aid"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        policy = tracker.get_slot("policy")
        policy_name = POLICY_NAMES.get(policy, "救助")
        payload = {
            "policy": policy,
            "applicant_name": tracker.get_slot("applicant_name"),
            "phone": tracker.get_slot("phone"),
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
        }
        if tracker.get_slot("id_number"):
            payload["id_number"] = tracker.get_slot("id_number")
        # The ID number leaves the conversation's memory once it is handed over.
        forget = [SlotSet("id_number", None), SlotSet("id_consent", None)]
        async with shared_backend_client() as backend:
            try:
                case = await backend.create_case(payload)
            except BackendUnavailableError:
                dispatcher.utter_message(
                    text=f"不好意思，系统暂时连不上。您的{policy_name}申请已经记下了，"
                    "系统恢复后会自动提交，社工会打电话联系您。"
                )
                return forget
            except BackendRejectedError:
                dispatcher.utter_message(
                    text="不好意思，申请没有提交成功。您可以说“转人工”，让社工帮您办理。"
                )
                return forget
            try:
                materials = await backend.policy_answer(policy, "materials")
            except (BackendUnavailableError, BackendRejectedError):
                materials = None  # the case is filed; the list of materials can wait
        text = (
            f"您的{policy_name}申请已经提交，申请编号是 {case.number}。"
            "社工会尽快打电话联系您，告诉您下一步怎么办。"
        )
        if materials is not None:
            text += f"\n可以先准备这些材料：{materials.text}"
        dispatcher.utter_message(text=text)
        return forget
