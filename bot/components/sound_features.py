"""A Rasa NLU featurizer that describes a message by how it sounds.

Residents on old phones type whole requests in pinyin ("wo ma yao shen qing di bao"), pinyin
input methods and speech recognition write the right sound with the wrong characters (身请 for
申请, 补帖 for 补贴), and Jieba cuts each of these differently from the words the model was
trained on, so the word and character features of DIET see a new message. Their sound is
the same: written as toneless pinyin with spaces and punctuation left out, all three are
"womayaoshenqingdibao". `SoundFeaturizer` adds one sentence feature to every message, the
letter n-grams of that sound, so that the intent classifier hears a request whichever way it
was written. Tones are left out (typed pinyin has none) and initials are not folded, so typed
pinyin and characters give exactly the same letters.
"""

import json
from typing import Any

import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from common.pinyin_names import syllable

VOCABULARY_FILE = "vocabulary.json"


def sound_of(text: str) -> str:
    """`text` (normalised: simplified, lower case) as toneless pinyin letters and digits, all
    else left out: "我要申请 di bao！" -> "woyaoshenqingdibao"."""
    letters: list[str] = []
    for character in text:
        sound = syllable(character)
        if not sound.startswith("#"):
            letters.append(sound)
        elif character.isascii() and character.isalnum():
            letters.append(character)
    return "".join(letters)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SoundFeaturizer(SparseFeaturizer, GraphComponent):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            "min_ngram": 2,
            "max_ngram": 5,
            # An n-gram heard in fewer training messages than this is not a feature.
            "min_df": 2,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vocabulary: dict[str, int] | None = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer: CountVectorizer | None = None
        if vocabulary:
            self._vectorizer = self._new_vectorizer(vocabulary)

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> CountVectorizer:
        return CountVectorizer(
            analyzer="char",
            ngram_range=(self._config["min_ngram"], self._config["max_ngram"]),
            min_df=1 if vocabulary else self._config["min_df"],
            vocabulary=vocabulary,
            lowercase=False,
        )

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 1 <= config["min_ngram"] <= config["max_ngram"]:
            raise ValueError("SoundFeaturizer needs 1 <= min_ngram <= max_ngram")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SoundFeaturizer":
        return cls(config, model_storage, resource, execution_context)

    def train(self, training_data: TrainingData) -> Resource:
        sounds = [sound_of(example.get(TEXT) or "") for example in training_data.intent_examples]
        vectorizer = self._new_vectorizer()
        vectorizer.fit([sound for sound in sounds if sound])
        vocabulary = {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
        self._vectorizer = self._new_vectorizer(vocabulary)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SoundFeaturizer":
        with model_storage.read_from(resource) as directory:
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text())
        return cls(config, model_storage, resource, execution_context, vocabulary)

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        if self._vectorizer is None or text is None:
            return
        sentence = scipy.sparse.coo_matrix(self._vectorizer.transform([sound_of(text)]))
        message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, self._identifier))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages
