"""Rasa NLU components that make `policy` and `service` entities dependable.

DIET learns entities from examples, so it misses names it has not seen in context and the
near-homophones speech recognition produces (地包 for 低保, 残疾正 for 残疾证, 社宝 for 社保).
`PinyinLexiconExtractor` finds every name from the synonym lists by its sound; `EntityCleaner`
then keeps only canonical values, once each, and drops a name the resident does not ask for:
one they say they do not mean ("我不是要低保，是问临时救助"), a job they had ("原来在商场干保洁"),
and a benefit or card they already have, told as background to a question about another
policy ("医保报了一半，能申请大病救助不").
"""

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.chinese_text import normalize
from common.pinyin_names import SYNONYMS_FILE, PinyinNames, read_synonyms

CANONICAL_VALUES: dict[str, frozenset[str]] = {
    "policy": frozenset({
        "dibao", "tekun", "linshi_jiuzhu", "gaoling_jintie", "canji_butie", "yiliao_jiuzhu",
        "canjizheng", "jujia_yanglao", "fuwulei_jiuzhu", "ertong_guanai", "yanglao_jigou",
        "shebao",
    }),
    "service": frozenset({
        "zhucan", "zhujie", "zhuyu", "zhuyi", "lifa", "kangfu", "jiaoche", "peiliao", "daiban",
        "weixiu",
    }),
}  # fmt: skip
_KIND_OF_VALUE = {value: kind for kind, values in CANONICAL_VALUES.items() for value in values}


def is_canonical(entity: dict[str, Any]) -> bool:
    """A policy or service entity whose value is one of ours (not a span DIET left unmapped)."""
    return entity.get("value") in CANONICAL_VALUES.get(entity.get("entity", ""), ())


LEXICON_FILE = "lexicon.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class PinyinLexiconExtractor(GraphComponent, EntityExtractorMixin):
    """Finds policy and service names, as written or as they sound, from the synonym lists
    (`common.pinyin_names` owns the rule)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"synonyms": str(SYNONYMS_FILE)}

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: dict[str, list[str]] | None = None,
        synonyms: Path = SYNONYMS_FILE,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._synonyms = synonyms
        # `lexicon` maps a written form to its [entity, canonical value], in listing order.
        self._lexicon = lexicon or {}
        self._names = PinyinNames((form, value) for form, (_, value) in self._lexicon.items())

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PinyinLexiconExtractor":
        return cls(model_storage, resource, synonyms=Path(config["synonyms"]))

    def train(self, training_data: TrainingData) -> Resource:
        # The listed names only. Rasa's `entity_synonyms` also holds every annotated span of a
        # training line with its value ("[补贴](canji_butie)", "[饭](zhucan)", "[陪她去医院]
        # (zhuyi)"): words and descriptions, which found by themselves in any message would
        # name a policy or service nobody asked for.
        lexicon = {
            normalize(form): [_KIND_OF_VALUE[value], value]
            for form, value in read_synonyms(self._synonyms)
            if value in _KIND_OF_VALUE
        }
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(json.dumps(lexicon, ensure_ascii=False))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "PinyinLexiconExtractor":
        with model_storage.read_from(resource) as directory:
            lexicon = json.loads((directory / LEXICON_FILE).read_text())
        return cls(model_storage, resource, lexicon)

    def find(self, text: str) -> list[dict[str, Any]]:
        return [
            {"entity": _KIND_OF_VALUE[found.name.value], "value": found.name.value,
             "start": found.start, "end": found.end, "confidence_entity": 1.0,
             "extractor": self.__class__.__name__}
            for found in self._names.find(text)
            if found.name.value in _KIND_OF_VALUE
        ]  # fmt: skip

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = list(message.get(ENTITIES) or [])
            # Where DIET already found a canonical name of a kind: DIET's is kept there. One
            # flag per character and kind, so checking a candidate costs its own length.
            canonical_at = {kind: bytearray(len(text) + 1) for kind in CANONICAL_VALUES}
            for e in entities:
                if is_canonical(e):
                    start, end = max(0, e["start"]), min(len(text), e["end"])
                    canonical_at[e["entity"]][start:end] = b"\x01" * max(0, end - start)
            for candidate in self.find(text):
                kind, start, end = candidate["entity"], candidate["start"], candidate["end"]
                if 1 not in canonical_at[kind][start:end]:
                    entities.append(candidate)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


# "不是要低保，是问临时救助": a name shortly after these is the one NOT wanted.
_NEGATION_BEFORE = ("不是", "不要", "不用", "不想", "别")
# How far before the name to look: "不是要申请低保" has the negation 5 characters before it.
_NEGATION_WINDOW = 6


# A service named as someone's work, not asked for: "在商场干保洁", "我是做家政的",
# "保洁的活儿没了". Looked for just before the name (within its clause) and just after it.
_WORK_BEFORE = re.compile(
    r"(?:在|去|以前|原来|之前|一直|靠|是)[^，。,.！？!?家屋]{0,6}(?:干|做|当)(?:过|了)?$"
)
# ... unless someone is asked to do it: "派人去做保洁".
_ASKING = re.compile(r"派|找|请|叫|约|帮|给")
_WORK_AFTER = re.compile(r"^(?:的)?(?:活儿?|工作)(?:没|丢|辞|黄|也|不|让|被|找|干了)")
_WORK_WINDOW = 10
# Benefits and cards a resident may mention as what they already have, while asking about
# another policy: "养老金一千五，能吃低保不", "医保报了一半，能申请大病救助不", "残疾证都在手边".
_BACKGROUND_POLICIES = frozenset({"shebao", "canjizheng"})
_HELD_AFTER = re.compile(
    r"^(?:卡)?(?:只|才|就|都|也)?(?:报(?:了|掉|完|过|后|以后|之后|销了|销完|销后)|"
    r"一|两|二|三|四|五|六|七|八|九|十|几|\d|在手|有了|已经|刚|办下来|下来了)"
)
_HELD_BEFORE = re.compile(r"(?:(?<!还)有|拿着|带着|领着|领的)$")


def _as_work(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - _WORK_WINDOW) : start]
    if _ASKING.search(before):
        return False
    return bool(_WORK_BEFORE.search(before) or _WORK_AFTER.match(text[end : end + 4]))


def _as_background(text: str, start: int, end: int) -> bool:
    return bool(
        _HELD_AFTER.match(text[end : end + 4])
        or _HELD_BEFORE.search(text[max(0, start - 3) : start])
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityCleaner(GraphComponent):
    """Keeps canonical policy and service values, once each; drops a negated name when
    another of its kind remains ("不要助浴了" alone still says which booking is meant), a
    service named as someone's work, and a benefit held told as background to a question
    about another policy."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EntityCleaner":
        return cls()

    @staticmethod
    def _negated(text: str, start: int) -> bool:
        before = text[max(0, start - _NEGATION_WINDOW) : start]
        return any(negation in before for negation in _NEGATION_BEFORE)

    def clean(self, text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        canonical: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for entity in sorted(entities, key=lambda e: e["start"]):
            kind, value = entity["entity"], entity.get("value")
            if kind not in CANONICAL_VALUES:
                canonical.append(entity)  # not ours to judge
            elif value in CANONICAL_VALUES[kind] and (kind, value) not in seen:
                seen.add((kind, value))
                canonical.append(entity)
        policies = {e.get("value") for e in canonical if e["entity"] == "policy"}
        canonical = [
            entity
            for entity in canonical
            if not (
                (entity["entity"] == "service" and _as_work(text, entity["start"], entity["end"]))
                or (
                    entity.get("value") in _BACKGROUND_POLICIES
                    and len(policies) > 1
                    and _as_background(text, entity["start"], entity["end"])
                )
            )
        ]
        of_kind = Counter(entity["entity"] for entity in canonical)
        return [
            entity
            for entity in canonical
            if not (
                entity["entity"] in CANONICAL_VALUES
                and of_kind[entity["entity"]] > 1
                and self._negated(text, entity["start"])
            )
        ]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            cleaned = self.clean(message.get(TEXT) or "", message.get(ENTITIES) or [])
            message.set(ENTITIES, cleaned, add_to_output=True)
        return messages
