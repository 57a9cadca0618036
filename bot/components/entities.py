"""Rasa NLU components that make `policy` and `service` entities dependable.

DIET learns entities from examples, so it misses names it has not seen in context and the
near-homophones speech recognition produces (地包 for 低保, 残疾正 for 残疾证, 社宝 for 社保).
`PinyinLexiconExtractor` finds every name from the synonym lists by its sound; `EntityCleaner`
then keeps only canonical values, once each, and drops a name the resident says they do not
mean ("我不是要低保，是问临时救助").
"""

import json
import re
from typing import Any

from pypinyin import lazy_pinyin
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.chinese_text import normalize

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

LEXICON_FILE = "lexicon.json"


def _syllables(text: str) -> list[str]:
    """One toneless pinyin syllable per character (the character itself when not Chinese)."""
    return [lazy_pinyin(character)[0] for character in text]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class PinyinLexiconExtractor(GraphComponent, EntityExtractorMixin):
    """Finds policy and service names, as written or as they sound, from the synonym lists."""

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: dict[str, list[str]] | None = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._build_index(lexicon or {})

    def _build_index(self, lexicon: dict[str, list[str]]) -> None:
        """`lexicon` maps a written form to its (entity, canonical value)."""
        self._lexicon = lexicon
        # Several written forms can share a sound (低保, 地保, 底保): keep them all.
        self._by_sound: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        self._latin: list[tuple[re.Pattern[str], str, str]] = []
        for form, (kind, value) in lexicon.items():
            if form.isascii():  # typed pinyin such as "dibao": matched as a whole word
                pattern = re.compile(rf"(?<![a-z]){re.escape(form)}(?![a-z])")
                self._latin.append((pattern, kind, value))
            elif len(form) >= 2:  # one character ("饭") sounds like too many other words
                self._by_sound.setdefault(tuple(_syllables(form)), []).append((form, kind, value))
        self._max_length = max((len(key) for key in self._by_sound), default=0)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PinyinLexiconExtractor":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        lexicon = {
            normalize(form): [_KIND_OF_VALUE[value], value]
            for form, value in training_data.entity_synonyms.items()
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
        found: list[dict[str, Any]] = []
        taken: set[int] = set()

        def add(start: int, end: int, kind: str, value: str) -> None:
            found.append(
                {"entity": kind, "value": value, "start": start, "end": end,
                 "confidence_entity": 1.0, "extractor": self.__class__.__name__}
            )  # fmt: skip
            taken.update(range(start, end))

        for pattern, kind, value in self._latin:
            for match in pattern.finditer(text):
                if not taken & set(range(*match.span())):
                    add(*match.span(), kind, value)
        syllables = _syllables(text)
        for length in range(self._max_length, 1, -1):  # longest names first
            for start in range(len(text) - length + 1):
                span = range(start, start + length)
                if taken & set(span):
                    continue
                said = text[start : start + length]
                for form, kind, value in self._by_sound.get(
                    tuple(syllables[start : start + length]), []
                ):
                    if said == form or self._shares(said, form):
                        add(start, start + length, kind, value)
                        break
        return found

    @staticmethod
    def _shares(said: str, form: str) -> bool:
        # Same sound is not enough on its own: "立法" sounds like "理发". Ask for characters in
        # common too: 社宝/社保, 五包/五保 share one; 残疾正/残疾证, 大病就住/大病救助 two.
        shared = sum(a == b for a, b in zip(said, form, strict=True))
        return shared >= (1 if len(form) == 2 else 2)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = list(message.get(ENTITIES) or [])
            for candidate in self.find(message.get(TEXT) or ""):
                span = set(range(candidate["start"], candidate["end"]))
                # DIET already found a canonical name of this kind here: keep DIET's.
                if any(
                    e["entity"] == candidate["entity"]
                    and e.get("value") in CANONICAL_VALUES[candidate["entity"]]
                    and span & set(range(e["start"], e["end"]))
                    for e in entities
                ):
                    continue
                entities.append(candidate)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


# "不是要低保，是问临时救助": a name shortly after these is the one NOT wanted.
_NEGATION_BEFORE = ("不是", "不要", "不用", "不想", "别")
# How far before the name to look: "不是要申请低保" has the negation 5 characters before it.
_NEGATION_WINDOW = 6


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityCleaner(GraphComponent):
    """Keeps canonical policy and service values, once each, and drops a negated name when
    another of its kind remains ("不要助浴了" alone still says which booking is meant)."""

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
        return [
            entity
            for entity in canonical
            if not (
                entity["entity"] in CANONICAL_VALUES
                and sum(e["entity"] == entity["entity"] for e in canonical) > 1
                and self._negated(text, entity["start"])
            )
        ]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            cleaned = self.clean(message.get(TEXT) or "", message.get(ENTITIES) or [])
            message.set(ENTITIES, cleaned, add_to_output=True)
        return messages
