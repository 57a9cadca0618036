"""Getting a person: on request, in an emergency, and when a resident describes a hardship.

On the phone the same decisions hold (issue 16: one owner): the bridge only signals what the
telephone does. A request for a person there is a transfer when the bridge has a human line
(`linli_call: {"transfer": true}`), and a callback with the caller's number when it has none or
the transfer did not connect (`/transfer_failed`); after a silence the bridge asks Rasa to offer
a callback (`/callback_offer`), and the answer is Rasa's to understand.
"""

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import (
    BackendRejectedError,
    BackendUnavailableError,
    Handoff,
    shared_backend_client,
)
from actions.conversation import (
    CallFacts,
    call_facts,
    channel_of,
    latest_intent,
    latest_text,
    tell_the_bridge,
)
from actions.prompts import load_prompts, say
from common import emergency_alerts, labels
from common.outbox import OutboxUnavailableError
from common.personal_numbers import redact_personal_numbers


@dataclass(frozen=True)
class FiledHandoff:
    """The handoff the backend accepted; else whether it waits in the outbox (`kept`)."""

    handoff: Handoff | None
    kept: bool


async def file_handoff(tracker: Tracker, reason: str, danger: str | None = None) -> FiledHandoff:
    """Put the conversation in the social workers' queue, write-ahead; an emergency says the
    kind of danger, which the worker on duty reads first."""
    payload: dict[str, Any] = {
        "channel": channel_of(tracker),
        "sender_id": tracker.sender_id,
        "reason": reason,
        # ID numbers masked before the outbox keeps it (the backend masks them anyway);
        # a phone stays: the worker calls back from it.
        "last_message": redact_personal_numbers(latest_text(tracker), phones=False)[:4000],
    }
    if danger in labels.DANGER:
        payload["danger"] = danger
    if tracker.get_slot("phone"):
        payload["phone"] = tracker.get_slot("phone")
    elif (call := call_facts(tracker)) is not None and call.caller:
        payload["phone"] = call.caller  # a callback goes to the number that called
    try:
        async with shared_backend_client() as backend:
            return FiledHandoff(await backend.create_handoff(payload), kept=False)
    except BackendUnavailableError as error:
        return FiledHandoff(None, kept=error.queued)
    except (BackendRejectedError, OutboxUnavailableError):
        return FiledHandoff(None, kept=False)


def _leave_any_form() -> list[EventType]:
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        call = call_facts(tracker)
        if call is not None:
            await self._on_the_phone(dispatcher, tracker, call)
            return _leave_any_form()
        filed = await file_handoff(tracker, "requested")
        if filed.handoff is not None:
            dispatcher.utter_message(
                text=f"好的，已经帮您转人工，登记编号是 {filed.handoff.number}。"
                "社工会尽快在这里回复您或者给您打电话。"
            )
        elif filed.kept:
            dispatcher.utter_message(
                text="好的，已经记下您要找人工。系统暂时有点忙，社工会尽快联系您。"
                "如果着急，可以直接打社区电话。"
            )
        else:
            dispatcher.utter_message(
                text="抱歉，系统出了问题，转人工没有登记上。请直接打社区电话，或者过一会儿再试。"
            )
        return _leave_any_form()

    @staticmethod
    async def _on_the_phone(
        dispatcher: CollectingDispatcher, tracker: Tracker, call: CallFacts
    ) -> None:
        """A transfer when a person can take it; otherwise a callback, and the call goes on."""
        if call.human_line and latest_intent(tracker) != "transfer_failed":
            say(dispatcher, "call_transferring")
            tell_the_bridge(dispatcher, transfer=True)
            return
        if await file_callback(dispatcher, tracker):
            say(dispatcher, "call_follow_up")


async def file_callback(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A callback to the caller, write-ahead; says it is registered (with its number), kept, or
    failed, and tells the bridge whether it was taken (the call's outcome), as it returns."""
    filed = await file_handoff(tracker, "callback")
    if filed.handoff is not None:
        text = load_prompts()["call_callback_queued"]["text"].format(number=filed.handoff.number)
        dispatcher.utter_message(text=text)
    else:
        say(dispatcher, "call_callback_kept" if filed.kept else "call_callback_failed")
    taken = filed.handoff is not None or filed.kept
    tell_the_bridge(dispatcher, callback=taken)
    return taken


class ActionOfferCallback(Action):
    """The bridge heard nothing for a while (`/callback_offer`): a call back is offered. Any
    form in progress ends: the caller has gone quiet through its reprompts."""

    def name(self) -> str:
        return "action_offer_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        say(dispatcher, "call_callback_offer")
        return _leave_any_form()


class ActionFileCallback(Action):
    """The offered callback accepted ("好", or key 1): filed, and the call ends."""

    def name(self) -> str:
        return "action_file_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        taken = await file_callback(dispatcher, tracker)
        say(dispatcher, "call_callback_goodbye" if taken else "call_goodbye")
        tell_the_bridge(dispatcher, end=True)
        return []


class ActionDeclineCallback(Action):
    """The offered callback refused: nothing is filed, and the call ends kindly."""

    def name(self) -> str:
        return "action_decline_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        say(dispatcher, "call_callback_declined")
        tell_the_bridge(dispatcher, end=True)
        return []


class ActionRaiseEmergency(Action):
    """Runs after the guidance for the danger: alerts the social workers' queue."""

    def name(self) -> str:
        return "action_raise_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        danger = tracker.get_slot("danger")
        filed = await file_handoff(tracker, "emergency", danger)
        if filed.handoff is not None:
            dispatcher.utter_message(text=emergency_alerts.ALERTED)
        elif filed.kept:
            dispatcher.utter_message(text=emergency_alerts.alert_pending(danger))
        else:
            dispatcher.utter_message(text=emergency_alerts.alert_not_filed(danger))
        # The kind of danger chose this emergency's guidance; the next one names its own.
        return [*_leave_any_form(), SlotSet("danger", None)]


class ActionReportHardship(Action):
    """A hardship told in the resident's words becomes a need report a social worker follows up,
    and the resident is offered the eligibility check."""

    def name(self) -> str:
        return "action_report_hardship"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        report = {
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
            "text": redact_personal_numbers(latest_text(tracker), phones=False)[:4000],
            "needs_home_visit": False,
        }
        try:
            async with shared_backend_client() as backend:
                await backend.create_need_report(report)
        except BackendUnavailableError:
            pass  # queued in the outbox: the report is sent when the backend is back
        except BackendRejectedError:
            await file_handoff(tracker, "hardship")  # the need must reach a person either way
        dispatcher.utter_message(
            text="您的情况我记下了，社区社工会尽快联系您。"
            "我也可以先问您几个简单的问题，帮您看看能申请哪些补助。",
            buttons=[
                {"title": "帮我看看能申请什么", "payload": "/check_eligibility"},
                {"title": "找工作人员", "payload": "/request_human"},
            ],
        )
        return []
