"""Calls Linli places (issue 18): a wellbeing call, a post-service callback, a policy outreach.

The voice bridge opens each call with `/outbound_call` and the call's plan in the message
metadata (`outbound`: purpose, call number, salutation, policy). Each call says who is calling
and why, and that a person is there on "人工" or 0 (the bridge acts on those itself). An action
that ends the call tells the bridge what the call found with a `linli_call` custom message:
`{"outcome": …, "rating": …, "note": …, "end": true}`; the bridge reports it to the backend,
which escalates distress and stops a plan the resident declined.
"""

import re
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
from actions.conversation import channel_of, latest_text, tell_the_bridge
from actions.feedback import parse_feedback
from actions.help import file_handoff
from common.outbox import OutboxUnavailableError
from common.personal_numbers import redact_personal_numbers

PURPOSES = ("wellbeing", "callback", "outreach")
PERSON_OFFER = "要找工作人员，随时说“人工”或者按0。"
WELLBEING_QUESTION = "您今天身体还好吗？"
NEED_QUESTION = "最近有没有什么要帮忙的？比如送饭、打扫、陪着去医院，都可以跟我说。"
OUTREACH_QUESTION = "要不要请社区工作人员上门帮您看看？也可以现在在电话里帮您初步查一查。"
# Who is calling, said again to "喂，哪位？" or a reply that is not an answer, with the question
# the call is at: an older callee who missed the opening hears why the phone rang.
CALL_AGAIN = {
    "asked_wellbeing": f"我是社区的邻里通，给您打个关爱电话。{WELLBEING_QUESTION}",
    "asked_need": f"我是社区的邻里通，给您打关爱电话的。{NEED_QUESTION}",
    "offered_outreach": f"我是社区的邻里通，打电话告诉您一项补贴的事。{OUTREACH_QUESTION}",
}
# An outreach call explains the policy in this many sentences at most.
OUTREACH_SENTENCES = 2
MAX_SALUTATION_CHARS = 16

# A rating said or keyed: "4", "四分", "打五星"; words for it when no number is said.
_BARE_RATING = re.compile(r"^\s*([1-5一二两三四五])\s*(?:分|星|颗星)?\s*[。.！!]?\s*$")
_RATING_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_RATING_WORDS = (
    (re.compile(r"非常满意|特别满意|很满意|太好了|没得说"), 5),
    (re.compile(r"不太满意|不怎么样|不大好"), 2),
    (re.compile(r"很不满意|非常不满意|太差|很差"), 1),
    (re.compile(r"一般|马马虎虎|凑合"), 3),
    (re.compile(r"满意|挺好|不错|很好"), 4),
)


def call_context(tracker: Tracker) -> dict[str, str]:
    """The call's plan as the bridge sent it with `/outbound_call`, checked; {} for none."""
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    given = metadata.get("outbound")
    if not isinstance(given, dict) or given.get("purpose") not in PURPOSES:
        return {}
    return {
        "purpose": str(given["purpose"]),
        "call": str(given.get("call") or "")[:16],
        "salutation": str(given.get("salutation") or "")[:MAX_SALUTATION_CHARS],
        "policy": str(given.get("policy") or "")[:32],
    }


def in_call(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("outbound_call"))


def call_result(
    dispatcher: CollectingDispatcher,
    outcome: str,
    *,
    rating: int | None = None,
    note: str = "",
    end: bool = True,
) -> None:
    """What the call found, for the bridge (never shown or said)."""
    result: dict[str, Any] = {"outcome": outcome, "note": note[:1000], "end": end}
    if rating is not None:
        result["rating"] = rating
    tell_the_bridge(dispatcher, **result)


def rating_in(text: str) -> int | None:
    """1–5 from what the resident said or keyed, or None."""
    bare = _BARE_RATING.match(text)
    if bare:
        digit = bare.group(1)
        return int(digit) if digit.isdigit() else _RATING_DIGITS[digit]
    rating, _ = parse_feedback(text)
    if rating is not None:
        return rating
    for pattern, value in _RATING_WORDS:
        if pattern.search(text):
            return value
    return None


async def file_need_report(report: dict[str, Any]) -> str:
    """ "accepted" by the backend, "kept" in the outbox until it is, or "failed"."""
    try:
        async with shared_backend_client() as backend:
            await backend.create_need_report(report)
    except BackendUnavailableError as error:
        return "kept" if error.queued else "failed"
    except (BackendRejectedError, OutboxUnavailableError):
        return "failed"
    return "accepted"


def first_sentences(text: str, count: int) -> str:
    parts = re.findall(r"[^。！？!?]+[。！？!?]?", text.strip())
    return "".join(parts[:count]).strip()


class ActionOutboundOpen(Action):
    """Who is calling and why, the call's one question, and the way to a person."""

    def name(self) -> str:
        return "action_outbound_open"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context = call_context(tracker)
        if not context:  # typed by someone, not sent by the bridge
            dispatcher.utter_message(response="utter_greet")
            return []
        hello = f"{context['salutation']}您好" if context["salutation"] else "您好"
        purpose = context["purpose"]
        events: list[EventType] = [
            SlotSet("call_purpose", purpose),
            SlotSet("outbound_call", context["call"]),
            SlotSet("call_salutation", context["salutation"] or None),
            SlotSet("call_policy", context["policy"] or None),
        ]
        if purpose == "wellbeing":
            dispatcher.utter_message(
                text=f"{hello}，我是社区的邻里通，给您打个关爱电话。{PERSON_OFFER}"
                + WELLBEING_QUESTION
            )
            return [*events, SlotSet("outbound_stage", "asked_wellbeing")]
        if purpose == "callback":
            dispatcher.utter_message(
                text=f"{hello}，我是社区的邻里通，打电话问问您最近这次上门服务做得怎么样。"
                + PERSON_OFFER
            )
            return [*events, SlotSet("outbound_stage", "asked_rating")]
        dispatcher.utter_message(text=await self._outreach_opening(hello, context["policy"]))
        return [*events, SlotSet("outbound_stage", "offered_outreach")]

    @staticmethod
    async def _outreach_opening(hello: str, policy: str) -> str:
        name, summary = "一项补贴", ""
        try:
            async with shared_backend_client() as backend:
                answer = await backend.policy_answer(policy, None)
        except (BackendUnavailableError, BackendRejectedError):
            answer = None
        if answer is not None:
            name, summary = answer.name, first_sentences(answer.text, OUTREACH_SENTENCES)
        return (
            f"{hello}，我是社区的邻里通。根据社区掌握的情况，您家可能符合{name}的条件，"
            f"所以打电话告诉您一声。{summary}{PERSON_OFFER}{OUTREACH_QUESTION}"
        )


class ActionOutboundFine(Action):
    def name(self) -> str:
        return "action_outbound_fine"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("outbound_stage") != "asked_wellbeing":
            dispatcher.utter_message(text="那就好！有需要随时找我。")
            return [SlotSet("outbound_stage", None)]
        dispatcher.utter_message(text=f"那就好！{NEED_QUESTION}")
        return [SlotSet("outbound_stage", "asked_need")]


class ActionOutboundAgain(Action):
    """ "喂，哪位？", a hello, or words that answer nothing, on a call Linli placed: who is calling
    and the question the call is at, once more (bot/data/rules/outbound.yml; action_clarify
    for what the NLU could not read)."""

    def name(self) -> str:
        return "action_outbound_again"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        said = call_again_text(tracker)
        if said is None:  # not on a call Linli placed
            dispatcher.utter_message(response="utter_greet")
        else:
            dispatcher.utter_message(text=said)
        return []


def call_again_text(tracker: Tracker) -> str | None:
    """Who is calling and the open question, on a call Linli placed that is at one; else None."""
    if not in_call(tracker):
        return None
    said = CALL_AGAIN.get(tracker.get_slot("outbound_stage") or "")
    if said is None:
        return None
    salutation = tracker.get_slot("call_salutation")
    return f"{salutation}您好，{said}" if salutation else f"您好，{said}"


class ActionOutboundUnwell(Action):
    """Feeling unwell becomes a need report a worker follows up (urgent on a call); the
    resident hears that someone will call only once the backend took it."""

    def name(self) -> str:
        return "action_outbound_unwell"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        said = redact_personal_numbers(latest_text(tracker), phones=False)[:4000]
        call = tracker.get_slot("outbound_call")
        report: dict[str, Any] = {
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
            "text": said,
            "needs_home_visit": bool(call),
            "urgent": bool(call),
        }
        if call:
            who = tracker.get_slot("call_salutation") or "居民"
            report["source_detail"] = f"关爱回访电话 {call}（{who}）"
        filed_as = await file_need_report(report)
        if filed_as == "accepted":
            told = (
                "我已经告诉社区工作人员了，他们会尽快给您打电话，或者上门看看您。"
                if call
                else "我已经告诉社区工作人员了，他们会尽快联系您。"
            )
        elif filed_as == "kept":
            told = "您说的我记下了，系统正在转给社区工作人员，他们会尽快联系您。"
        else:
            filed = await file_handoff(tracker, "distress")
            told = (
                "您说的我已经转给社区工作人员了，他们会尽快联系您。"
                if filed.handoff is not None or filed.kept
                else "抱歉，我这边没能记下来，请您直接打社区电话说一声。"
            )
        dispatcher.utter_message(
            text=f"听到您不舒服，真让人挂心。{told}要是突然难受得厉害，请马上打120。"
        )
        if call:
            call_result(dispatcher, "unwell", note=said)
        return [SlotSet("outbound_stage", None)]


class ActionOutboundGoodbye(Action):
    def name(self) -> str:
        return "action_outbound_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            text="好的，那就不打扰您了。有需要随时打社区热线找我。祝您身体健康，再见！"
        )
        if in_call(tracker):
            call_result(dispatcher, "fine")
        return [SlotSet("outbound_stage", None)]


class ActionOutboundStop(Action):
    """ "以后别打了": the plan stops (the backend does it on the `stop` result)."""

    def name(self) -> str:
        return "action_outbound_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not in_call(tracker):
            dispatcher.utter_message(
                text="好的。社区打给您的回访电话，接电话时说“以后别打了”，就不会再打了；"
                "也可以跟社工说一声。"
            )
            return []
        dispatcher.utter_message(
            text="好的，以后不再给您打这个电话了。有需要随时打社区热线找我们。再见！"
        )
        call_result(dispatcher, "stop", note=latest_text(tracker)[:200])
        return [SlotSet("outbound_stage", None)]


class ActionOutboundVisit(Action):
    """Yes to an outreach call: a home visit about the policy, as a need report."""

    def name(self) -> str:
        return "action_outbound_visit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        call = tracker.get_slot("outbound_call") or ""
        policy = tracker.get_slot("call_policy") or ""
        report = {
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
            "text": (
                f"政策找人：居民同意社工上门看看是否符合 {policy}。居民原话：{latest_text(tracker)}"
            )[:4000],
            "needs_home_visit": True,
            "source_detail": f"外呼 {call}（{tracker.get_slot('call_salutation') or '居民'}）",
        }
        told = {
            "accepted": "好的，上门的事已经登记了，社区工作人员会先打电话跟您约时间。",
            "kept": "好的，上门的事我记下了，系统正在转给社区，工作人员会打电话跟您约时间。",
            "failed": "抱歉，上门的事没能登记上，请您打社区电话说一声。",
        }[await file_need_report(report)]
        dispatcher.utter_message(text=f"{told}谢谢您，再见！")
        if call:
            call_result(dispatcher, "needs_help", note=f"同意上门（{policy}）")
        return [SlotSet("outbound_stage", None)]


class ValidateRatingForm(FormValidationAction):
    """A number, or words for one; anything else is kept as the resident's comment and the
    rating asked once more, then the form ends without one."""

    def name(self) -> str:
        return "validate_rating_form"

    async def validate_service_rating(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = str(value or "")
        rating = rating_in(text)
        comment = tracker.get_slot("service_comment")
        if rating is not None:
            kept = {"service_rating": str(rating)}
            if len(text) > 6:  # more than the number: keep what they said about it
                kept["service_comment"] = text[:1000]
            return kept
        if comment:
            return {"service_rating": "none"}
        dispatcher.utter_message(text="您说的我记下了。")
        return {"service_rating": None, "service_comment": text[:1000] or "（没听清）"}


class ActionAskServiceRating(Action):
    def name(self) -> str:
        return "action_ask_service_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        again = "那" if tracker.get_slot("service_comment") else ""
        dispatcher.utter_message(
            text=f"{again}请您给这次服务打个分，1到5分，5分最满意。"
            "直接说几分，或者按电话上的数字键都行。"
        )
        return []


class ActionOutboundRated(Action):
    """The rating (and any complaint) recorded as feedback; the call then ends."""

    def name(self) -> str:
        return "action_outbound_rated"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        given = tracker.get_slot("service_rating") or ""
        rating = int(given) if given.isdigit() else None
        comment = tracker.get_slot("service_comment") or ""
        _, complained = parse_feedback(comment)
        is_complaint = complained or (rating is not None and rating <= 2)
        payload = {
            "channel": channel_of(tracker),
            "sender_id": tracker.sender_id,
            "rating": rating,
            "is_complaint": is_complaint,
            "text": redact_personal_numbers(comment, phones=False)[:4000],
        }
        recorded = True
        try:
            async with shared_backend_client() as backend:
                await backend.create_feedback(payload)
        except BackendUnavailableError as error:
            recorded = error.queued
        except (BackendRejectedError, OutboxUnavailableError):
            recorded = False
        thanks = f"谢谢您，{rating}分我记下了。" if rating else "谢谢您。"
        if is_complaint:
            thanks += (
                "您反映的问题会转给社工跟进。"
                if recorded
                else "您反映的问题我们这边记在了这次电话上，社工会看到。"
            )
        dispatcher.utter_message(text=f"{thanks}祝您身体健康，再见！")
        if in_call(tracker):
            call_result(dispatcher, "rated", rating=rating, note=comment)
        return [
            SlotSet("outbound_stage", None),
            SlotSet("service_rating", None),
            SlotSet("service_comment", None),
        ]
