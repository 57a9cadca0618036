"""Word lists beside the model, where recall must not depend on DIET alone.

`ServiceLexicon` runs after the entity extractors: when the model found no `service`, a
described one (`bot/lexicons/services.yml`: "电视没图像了" → weixiu, "陪我妈去医院" → zhuyi) is
added as the entity, at most two (the booking form books the first and says the other
waits); a booking that names one service and describes another ("助浴，顺便理个发") gets
both. A
description that asks for help ("帮我妈交个电费") but was read as out of scope or not
understood becomes a booking request.

`EmergencyLexicon` runs after DIET and the FallbackClassifier: a message showing a danger sign
(`bot/lexicons/emergency.yml`: a fall and cannot get up, chest pain, stroke signs, convulsions,
low blood sugar, gas, fire, a person not answering the door, …) is read as `emergency`,
whatever the model said. The one exception: a confident question about a named policy ("烧伤
了能申请医疗救助吗") stays a policy question. A message the model could not decide on, with an
emergency among its two likeliest readings, is an emergency too: asking back "which did you
mean?" costs an emergency minutes, a false alarm costs one sentence of 120 guidance.
"""

import re
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.entities import is_canonical
from common.clauses import where_asked
from common.danger_signs import EMERGENCY_LEXICON, DangerSigns
from common.personal_numbers import compact_digits
from common.service_descriptions import (
    SERVICE_LEXICON,
    ServiceDescriptions,
    asks_for_help,
    asks_to_book,
)

EMERGENCY = "emergency"
# The entity (and slot) naming the kind of danger an emergency message shows.
DANGER = "danger"
BOOK_SERVICE = "book_service"
# Intents whose messages are about a service the resident has or wants.
ABOUT_A_SERVICE = frozenset({BOOK_SERVICE, "check_status", "cancel_booking", "give_feedback"})
# Readings a described request for help overrides.
NOT_A_READING = frozenset({"out_of_scope", "nlu_fallback", "inform"})
POLICY_QUESTIONS = frozenset({"ask_policy", "check_eligibility", "apply_aid"})
CONFIDENT = 0.8
# The booking form books the first of two services named and says the other waits.
MOST_SERVICES_IN_A_MESSAGE = 2
FALLBACK = "nlu_fallback"


def emergency_in_doubt(message: Message) -> float | None:
    """The model's confidence in `emergency` when the FallbackClassifier gave up on `message`
    and `emergency` is one of its two likeliest readings; otherwise None."""
    if (message.get(INTENT) or {}).get("name") != FALLBACK:
        return None
    readings = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK]
    for reading in readings[:2]:
        if reading.get("name") == EMERGENCY:
            return float(reading.get("confidence") or 0)
    return None


# A message that is nothing but a number: a phone or ID number given when asked (a form
# question, a read-back). DIET has little to go on there ("13800138000" once read as goodbye,
# through the "88" of internet slang for bye), so the pattern decides.
_BARE_NUMBER = re.compile(r"\d{5,}[\dX]?")
# Readings a policy's name with a question word overrides (a short question is never these).
NOT_A_POLICY_READING = frozenset({"report_hardship", "inform", "out_of_scope", FALLBACK})
_QUESTION_WORD = re.compile(r"怎么|怎样|咋|如何|哪|多少|什么|啥|找谁|要不要|能不能|几")
_NOT_A_WORD = re.compile(r"\W+")
# "怎么办", "去哪儿办", "要什么材料": longer than this, the message says more than a question.
SHORT_QUESTION_REST = 6


def read_as(message: Message, intent: str, confidence: float) -> None:
    """The lexicon's reading replaces the model's; the model's stays in the ranking below."""
    reading = {"name": intent, "confidence": confidence}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
    message.set(INTENT, reading, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [reading, *ranking], add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmergencyLexicon(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lexicon": str(EMERGENCY_LEXICON)}

    def __init__(self, signs: DangerSigns) -> None:
        self.signs = signs

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyLexicon":
        return cls(DangerSigns.load(Path(config["lexicon"])))

    def read(self, text: str, intent: dict[str, Any], entities: list[Any]) -> str | None:
        """The danger category that makes this message an emergency, or None."""
        category = self.signs.find(text)
        if category is None:
            return None
        names_a_policy = any(entity.get("entity") == "policy" for entity in entities)
        if (
            names_a_policy
            and intent.get("name") in POLICY_QUESTIONS
            and float(intent.get("confidence") or 0) >= CONFIDENT
        ):
            return None
        return category

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            if intent.get("name") == EMERGENCY:
                name_the_danger(message, self.signs.find(text))
                continue
            doubted = emergency_in_doubt(message)
            if doubted is not None:
                # The model's own confidence in the emergency reading, kept as it was.
                read_as(message, EMERGENCY, doubted)
                name_the_danger(message, self.signs.find(text))
                continue
            category = self.read(text, intent, message.get(ENTITIES) or [])
            if category is None:
                continue
            read_as(message, EMERGENCY, 1.0)
            name_the_danger(message, category)
        return messages


def name_the_danger(message: Message, category: str | None) -> None:
    """The danger's kind as the `danger` entity, which fills the slot that chooses the
    guidance (self-harm, violence, a scam under way, or the general one)."""
    if category is None:
        return
    text = message.get(TEXT) or ""
    found = {
        "entity": DANGER, "value": category, "start": 0, "end": len(text),
        "confidence_entity": 1.0, "extractor": EmergencyLexicon.__name__,
    }  # fmt: skip
    entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != DANGER]
    message.set(ENTITIES, [*entities, found], add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ServiceLexicon(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lexicon": str(SERVICE_LEXICON)}

    def __init__(self, descriptions: ServiceDescriptions) -> None:
        self.descriptions = descriptions

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ServiceLexicon":
        return cls(ServiceDescriptions.load(Path(config["lexicon"])))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._read(message)
        return messages

    def _read(self, message: Message) -> None:
        entities = list(message.get(ENTITIES) or [])
        intent_name = (message.get(INTENT) or {}).get("name")
        text = message.get(TEXT) or ""
        names_a_policy = any(entity.get("entity") == "policy" for entity in entities)
        if (
            intent_name in (ABOUT_A_SERVICE | NOT_A_READING) - {BOOK_SERVICE}
            and not names_a_policy
            and asks_to_book(text)
        ):
            read_as(message, BOOK_SERVICE, 0.7)
        # Only a canonical name counts as found: DIET may tag a span ("汏浴") with a value the
        # EntityCleaner later drops, and the description must not be lost with it.
        named = [entity for entity in entities if is_canonical(entity)]
        if any(entity["entity"] == "policy" for entity in named):
            return
        named_services = {entity["value"] for entity in named}
        intent = message.get(INTENT) or {}
        # A booking naming one service may describe a second ("助浴，顺便理个发").
        if named_services and intent.get("name") != BOOK_SERVICE:
            return
        described = [
            found for found in self.descriptions.find(text) if found[0] not in named_services
        ][: MOST_SERVICES_IN_A_MESSAGE - len(named_services)]
        if not described:
            return
        if intent.get("name") not in ABOUT_A_SERVICE:
            # A long message asks where it ends: a service told earlier in its story ("我跟你
            # 唠唠……", "没法陪他去医院……你说他吃哪个药好") is not what it asks for.
            asked_from = where_asked(text)
            if (
                intent.get("name") not in NOT_A_READING
                or not asks_for_help(text[asked_from:])
                or all(start < asked_from for _, start, _ in described)
            ):
                return
            read_as(message, BOOK_SERVICE, 0.6)
        for value, start, end in described:
            entities.append(
                {
                    "entity": "service", "value": value, "start": start, "end": end,
                    "confidence_entity": 0.6, "extractor": type(self).__name__,
                }
            )  # fmt: skip
        message.set(ENTITIES, entities, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class BareNumbers(GraphComponent):
    """Messages whose shape decides: one that is only a number (phone, ID, house number) is a
    detail, `inform`; one that is only a policy's name and a question word or two ("特困供养
    怎么办", "低保咋领") is a question about that policy, `ask_policy`, when the model read it
    as a hardship, a detail, out of scope or could not decide. Trainings that differ by a few
    lines each lost one such question (高龄津贴怎么领, then 特困供养怎么办 read as a hardship):
    the commonest question residents ask must not depend on that."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "BareNumbers":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if _BARE_NUMBER.fullmatch(compact_digits(message.get(TEXT) or "")):
                read_as(message, "inform", 1.0)
            elif (message.get(INTENT) or {}).get(
                "name"
            ) in NOT_A_POLICY_READING and asks_only_about_a_policy(message):
                read_as(message, "ask_policy", 0.7)
        return messages


def asks_only_about_a_policy(message: Message) -> bool:
    """One policy named, and besides it at most a few characters with a question word."""
    named = [e for e in message.get(ENTITIES) or [] if e.get("entity") == "policy"]
    if len(named) != 1 or not is_canonical(named[0]) or "start" not in named[0]:
        return False
    text = message.get(TEXT) or ""
    rest = _NOT_A_WORD.sub("", text[: named[0]["start"]] + text[named[0]["end"] :])
    return len(rest) <= SHORT_QUESTION_REST and _QUESTION_WORD.search(rest) is not None
