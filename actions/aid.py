"""Applying for social assistance: a short form, then a case in the backend."""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient, BackendRejectedError, BackendUnavailableError
from actions.conversation import channel_of
from actions.form_fields import clean_name, validate_phone
from actions.labels import POLICY_NAMES
from actions.prompts import say


class ValidateAidForm(FormValidationAction):
    def name(self) -> str:
        return "validate_aid_form"

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

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_phone(value, dispatcher)


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
        async with BackendClient() as backend:
            try:
                case = await backend.create_case(payload)
            except BackendUnavailableError:
                dispatcher.utter_message(
                    text=f"不好意思，系统暂时连不上。您的{policy_name}申请已经记下了，"
                    "系统恢复后会自动提交，社工会打电话联系您。"
                )
                return []
            except BackendRejectedError:
                dispatcher.utter_message(
                    text="不好意思，申请没有提交成功。您可以说“转人工”，让社工帮您办理。"
                )
                return []
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
        return [SlotSet("requested_slot", None)]
