"""A Rasa NLU component that normalises Chinese text before tokenisation.

Residents type traditional characters (申請, 補貼), full-width digits and letters, and mixed
case pinyin. Mapping all of it to simplified, half-width, one case means the tokenizer, the
domain dictionary and the featurizers only ever see one spelling of each word.
"""

import unicodedata
from functools import lru_cache
from typing import Any

from opencc import OpenCC
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@lru_cache
def _to_simplified() -> OpenCC:
    return OpenCC("t2s")


def normalize(text: str) -> str:
    """Simplified characters, half-width forms (NFKC folds １２３ and ＡＢＣ), lower case."""
    return str(_to_simplified().convert(unicodedata.normalize("NFKC", text))).lower()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
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
        return normalize(text)

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        normalized = self.normalize(text)
        entities = message.get(ENTITIES) or []
        # Entity annotations point at character offsets: keep a training text whose length
        # would change as it is, rather than misplace its entities.
        if len(normalized) != len(text) and entities:
            return
        message.set(TEXT, normalized)
        for entity in entities:
            # An annotation without an explicit value carries its words as the value; they must
            # change with the text, or the synonym mapper learns "临时救助 -> 臨時救助".
            if isinstance(entity.get("value"), str) and not entity["value"].isascii():
                entity["value"] = self.normalize(entity["value"])

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize_message(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize_message(message)
        return messages
