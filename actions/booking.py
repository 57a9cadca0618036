"""Booking a home service, checking what was booked, and cancelling it."""

from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import (
    BackendRejectedError,
    BackendUnavailableError,
    Booking,
    shared_backend_client,
)
from actions.backend import BookingPlan as BookingPlanRecord
from actions.booking_plan import BookingPlan, describe_plan, resolve_booking_plan
from actions.booking_time import Precision, describe, resolve_booking_time
from actions.conversation import channel_of, latest_intent, latest_text, now_local
from actions.form_fields import (
    changes_mind,
    needs_resealing,
    read_correction,
    read_yes_no,
    validate_phone,
)
from actions.labels import SERVICE_NAMES, spaced_digits
from actions.prompts import load_prompts, say
from common.labels import booking_status, case_status
from common.personal_numbers import extract_phone, is_sealed_reference, mask_phone, masked_form

BOOKING_HORIZON = timedelta(days=90)
# Services come in daytime: a clock time this late or early is asked back, not booked.
NIGHT_FROM_HOUR, NIGHT_UNTIL_HOUR = 21, 6
# Slots asked again for the next booking; name, address and phone are kept for convenience.
_PER_BOOKING_SLOTS = ("service", "booking_time", "booking_confirmed")
_AFFIRM_DENY_BUTTONS = [
    {"title": "对", "payload": "/affirm"},
    {"title": "不对", "payload": "/deny"},
]


def _describe_slot_time(tracker: Tracker) -> str:
    slot = tracker.get_slot("booking_time")
    if plan := BookingPlan.from_slot(slot):
        return describe_plan(plan)
    return describe(datetime.fromisoformat(slot["iso"]), Precision(slot["precision"]))


def _phone_for_read_back(tracker: Tracker) -> str:
    """The phone digit by digit when the resident said it in this very message (a misheard
    digit is caught here), else its last four digits: the slot keeps only a sealed reference."""
    phone = str(tracker.get_slot("phone"))
    if not is_sealed_reference(phone):
        return spaced_digits(phone)
    said = extract_phone(latest_text(tracker))
    if said is not None and mask_phone(said) == masked_form(phone):
        return spaced_digits(said)
    # "尾号8000" reads well on the phone line too (asterisks do not).
    return f"尾号{masked_form(phone)[-4:]}"


def _describe_booking(booking: Booking) -> str:
    when = datetime.fromisoformat(booking.scheduled_at).astimezone(now_local().tzinfo)
    service = SERVICE_NAMES.get(booking.service_code, booking.service_code)
    return f"{when.month}月{when.day}日的{service}（编号{booking.number}）"


class ValidateBookingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def extract_booking_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        # Addresses and phone numbers are full of numbers that look like dates ("3号楼").
        if requested not in (None, "service", "booking_time") or changes_mind(latest_text(tracker)):
            return {}
        if plan := resolve_booking_plan(latest_text(tracker), now_local()):
            return {"booking_time": plan.as_slot()}
        resolved = resolve_booking_time(latest_text(tracker), now_local())
        if resolved is None:
            if requested == "booking_time":
                say(dispatcher, "invalid_booking_time")
            return {}
        return {
            "booking_time": {
                "iso": resolved.when.isoformat(),
                "text": resolved.text,
                "precision": resolved.precision.value,
            }
        }

    def validate_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Rasa fills the slot with the last service the message names, but a resident names
        # the main need first ("助浴，顺便理个发"), and the form books one service at a time:
        # the first is booked, and the resident is told the others are not booked yet.
        named = list(
            dict.fromkeys(
                name
                for name in tracker.get_latest_entity_values("service")
                if name in SERVICE_NAMES
            )
        )
        if len(named) > 1 and value in named:
            first, later = named[0], "、".join(SERVICE_NAMES[name] for name in named[1:])
            text = load_prompts()["booking_one_service_first"]["text"]
            dispatcher.utter_message(text=text.format(first=SERVICE_NAMES[first], later=later))
            return {"service": first}
        if value in SERVICE_NAMES:
            return {"service": value}
        say(dispatcher, "unknown_service")
        return {"service": None}

    def validate_booking_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        when = datetime.fromisoformat(value["iso"])
        now = now_local()
        at_night = when.hour >= NIGHT_FROM_HOUR or when.hour < NIGHT_UNTIL_HOUR
        if value.get("precision") == Precision.clock.value and at_night:
            say(dispatcher, "booking_time_night")
            return {"booking_time": None}
        if when < now - timedelta(minutes=10):
            say(dispatcher, "booking_time_past")
            return {"booking_time": None}
        if when > now + BOOKING_HORIZON:
            say(dispatcher, "booking_time_too_far")
            return {"booking_time": None}
        return {"booking_time": value}

    def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        address = str(value or "").strip().removeprefix("地址是").removeprefix("在").strip()
        if len(address) < 4:
            say(dispatcher, "invalid_address")
            return {"address": None}
        return {"address": address[:200]}

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await validate_phone(value, dispatcher)

    async def extract_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # A phone sealed in an earlier session would be refused by now: asked again.
        return {"phone": None} if needs_resealing(tracker.get_slot("phone")) else {}

    async def extract_booking_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "booking_confirmed":
            return {}
        text = latest_text(tracker)
        if changes_mind(text):
            return {}  # the form steps aside; the rules end it politely
        # "地址不对，是幸福小区5号楼": the new value replaces the old and is read back again.
        if correction := read_correction(text, now_local()):
            return correction
        answer = read_yes_no(text, latest_intent(tracker))
        return {} if answer is None else {"booking_confirmed": answer}

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {"booking_confirmed": True}
        # "不对": ask time, address and phone again; the service the resident named stays.
        say(dispatcher, "booking_restart")
        return {
            "booking_confirmed": None,
            "booking_time": None,
            "address": None,
            "phone": None,
        }


class ActionAskBookingConfirmed(Action):
    """Read the booking back before it is filed, digits of the phone number spaced out."""

    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        service = SERVICE_NAMES.get(tracker.get_slot("service"), "上门服务")
        phone = _phone_for_read_back(tracker)
        dispatcher.utter_message(
            text=f"跟您核对一下：预约{service}，时间是{_describe_slot_time(tracker)}，"
            f"地址是{tracker.get_slot('address')}，电话{phone}。对吗？",
            buttons=_AFFIRM_DENY_BUTTONS,
        )
        return []


class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        time_slot = tracker.get_slot("booking_time")
        payload = {
            "service": tracker.get_slot("service"),
            "scheduled_at": time_slot["iso"],
            "time_text": time_slot["text"],
            "address": tracker.get_slot("address"),
            "phone": tracker.get_slot("phone"),
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
        }
        plan = BookingPlan.from_slot(time_slot)
        reset = [SlotSet(slot, None) for slot in _PER_BOOKING_SLOTS]
        booking: Booking | BookingPlanRecord
        try:
            async with shared_backend_client() as backend:
                if plan is None:
                    booking = await backend.create_booking(payload)
                else:
                    booking = await backend.create_booking_plan(
                        {
                            **payload,
                            "weekdays": sorted(plan.weekdays),
                            "last_day": plan.last_day.isoformat(),
                        }
                    )
        except BackendUnavailableError:
            dispatcher.utter_message(
                text="不好意思，预约系统暂时连不上。您的预约信息已经记下了，系统恢复后会自动提交，"
                "工作人员会打电话跟您确认。"
            )
            return reset
        except BackendRejectedError:
            dispatcher.utter_message(
                text="不好意思，这个预约没有提交成功。您可以说“转人工”，让社工帮您预约。"
            )
            return reset
        dispatcher.utter_message(
            text=f"预约好了！{SERVICE_NAMES.get(booking.service_code, '')}，"
            f"{_describe_slot_time(tracker)}。预约编号是 {booking.number}。"
            "工作人员上门前会先给您打电话。"
        )
        return reset


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            async with shared_backend_client() as backend:
                bookings = await backend.bookings_of(tracker.sender_id)
                cases = await backend.cases_of(tracker.sender_id)
        except (BackendUnavailableError, BackendRejectedError):
            dispatcher.utter_message(
                text="不好意思，查询系统暂时连不上，请稍后再问，或者说“转人工”。"
            )
            return []
        if not bookings and not cases:
            dispatcher.utter_message(
                text="在这个对话里我没有查到您的预约或申请。如果是在别处办的，"
                "可以说“转人工”，让社工帮您查。"
            )
            return []
        lines = [
            f"{_describe_booking(booking)}：{booking_status(booking.status)}"
            for booking in bookings[:3]
        ]
        lines += [f"{case.number} 号申请：{case_status(case.status)}" for case in cases[:3]]
        dispatcher.utter_message(text="帮您查到：\n" + "\n".join(lines))
        return []


class ActionOfferCancellation(Action):
    """First turn of a cancellation: find the booking meant and ask before cancelling it."""

    def name(self) -> str:
        return "action_offer_cancellation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            async with shared_backend_client() as backend:
                bookings = await backend.bookings_of(tracker.sender_id)
        except (BackendUnavailableError, BackendRejectedError):
            say(dispatcher, "cancel_failed")
            return []
        # The backend decides which bookings may still be cancelled.
        cancellable = [booking for booking in bookings if booking.cancellable]
        named = set(tracker.get_latest_entity_values("service"))
        matching = [b for b in cancellable if b.service_code in named] or cancellable
        if not matching:
            dispatcher.utter_message(text="没有查到您可以取消的预约。")
            return []
        booking = matching[0]
        dispatcher.utter_message(
            text=f"您要取消{_describe_booking(booking)}吗？", buttons=_AFFIRM_DENY_BUTTONS
        )
        return [SlotSet("pending_cancel", booking.number)]


class ActionCancelBooking(Action):
    """Second turn: cancel on "对", keep the booking on "不"."""

    def name(self) -> str:
        return "action_cancel_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = tracker.get_slot("pending_cancel")
        if latest_intent(tracker) != "affirm" or not pending:
            say(dispatcher, "keep_booking")
            return [SlotSet("pending_cancel", None)]
        try:
            async with shared_backend_client() as backend:
                booking = await backend.cancel_booking(
                    pending, reason="居民通过对话取消", sender_id=tracker.sender_id
                )
        except (BackendUnavailableError, BackendRejectedError):
            say(dispatcher, "cancel_failed")
            return [SlotSet("pending_cancel", None)]
        dispatcher.utter_message(text=f"已经帮您取消了{_describe_booking(booking)}。")
        return [SlotSet("pending_cancel", None)]
