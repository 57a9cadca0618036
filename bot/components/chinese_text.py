"""A Rasa NLU component that normalises Chinese text before tokenisation.

Residents type traditional characters (申請, 補貼), full-width digits and letters, and mixed
case pinyin. Mapping all of it to simplified, half-width, one case means the tokenizer, the
domain dictionary and the featurizers only ever see one spelling of each word.
"""

import unicodedata
from typing import Any

from opencc import OpenCC
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
    def __init__(self) -> None:
        self._to_simplified = OpenCC("t2s")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ChineseTextNormalizer":
        return cls()

    def normalize(self, text: str) -> str:
        # NFKC folds full-width forms (１２３, ＡＢＣ) into ASCII.
        return self._to_simplified.convert(unicodedata.normalize("NFKC", text)).lower()

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        normalized = self.normalize(text)
        # Entity annotations point at character offsets: keep a training text whose length
        # would change as it is, rather than misplace its entities.
        if len(normalized) == len(text) or not message.get("entities"):
            message.set(TEXT, normalized)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize_message(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize_message(message)
        return messages


# "不是要低保，是问临时救助": a name shortly after these is the one NOT wanted.
_NEGATION_BEFORE = ("不是", "不要", "不用", "不想", "别")
# How far before the name to look: "不是要申请低保" has the negation 5 characters before it.
_NEGATION_WINDOW = 6


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class NegatedEntityFilter(GraphComponent):
    """Drops a policy or service the resident says they do not mean, when they name another.

    Only when another entity of the same kind remains: "不要助浴了" alone still tells us which
    booking is meant (a cancellation), so a lone negated entity is kept.
    """

    FILTERED = ("policy", "service")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NegatedEntityFilter":
        return cls()

    @staticmethod
    def _negated(text: str, start: int) -> bool:
        before = text[max(0, start - _NEGATION_WINDOW) : start]
        return any(negation in before for negation in _NEGATION_BEFORE)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = message.get(ENTITIES) or []
            kept = []
            for entity in entities:
                same_kind = [e for e in entities if e["entity"] == entity["entity"]]
                if (
                    entity["entity"] in self.FILTERED
                    and len(same_kind) > 1
                    and self._negated(text, entity["start"])
                ):
                    continue
                kept.append(entity)
            message.set(ENTITIES, kept, add_to_output=True)
        return messages
