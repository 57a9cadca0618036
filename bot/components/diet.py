"""DIET trained on batches of messages of similar length.

Rasa pads every message of a training batch to the batch's longest one. Residents' messages
run from 你好 to a paragraph (our training lines: median 10 tokens, longest 90), so a batch of
randomly drawn lines is mostly padding: the transformer did about five times the work the
words need, and training took over an hour on two cores. Here each epoch's batches are cut from
windows of a few batches' worth of examples sorted by length, and the batches are then put in
random order: padding falls to about one and a half times the words, the examples of an epoch
and the class balance of Rasa's `balanced` strategy are unchanged, and prediction is exactly
DIET's.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils import train_utils
from rasa.utils.tensorflow.constants import SEQUENCE_LENGTH
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import Data, RasaModelData
from rasa.utils.tensorflow.models import RasaModel

from bot.components.model_loading import LoadedForPrediction

# Examples sorted together, in batches: 8 keeps every window a mix of Rasa's balanced classes
# while cutting padding from 5x to 1.5x on our data (bench: bucketing window vs padding).
BATCHES_PER_WINDOW = 8


def length_bucketed_order(lengths: NDArray[Any], batch_size: int) -> NDArray[np.int_]:
    """Indices of `lengths` such that consecutive runs of `batch_size` have similar lengths,
    those runs in random order, and a short last run (if any) still last."""
    window = batch_size * BATCHES_PER_WINDOW
    full: list[NDArray[np.int_]] = []
    rest: list[NDArray[np.int_]] = []
    for start in range(0, len(lengths), window):
        ids = np.arange(start, min(start + window, len(lengths)))
        ids = ids[np.argsort(lengths[ids], kind="stable")]
        for offset in range(0, len(ids), batch_size):
            batch = ids[offset : offset + batch_size]
            (full if len(batch) == batch_size else rest).append(batch)
    batches = [full[i] for i in np.random.permutation(len(full))] + rest
    return np.concatenate(batches) if batches else np.arange(0)


class LengthBucketedBatches(RasaBatchDataGenerator):
    """Rasa's batch generator, each epoch's examples reordered by `length_bucketed_order`."""

    def _shuffle_and_balance(self, batch_size: int) -> Data:
        data = super()._shuffle_and_balance(batch_size)
        lengths = np.asarray(data[TEXT][SEQUENCE_LENGTH][0]).reshape(-1)
        return RasaModelData._data_for_ids(data, length_bucketed_order(lengths, batch_size))


@contextmanager
def _length_bucketed_batches() -> Iterator[None]:
    # DIET builds its generator through train_utils.create_data_generators; swapping the class
    # that function uses, for this training only, keeps the rest of DIET's training untouched.
    stock = train_utils.RasaBatchDataGenerator
    train_utils.RasaBatchDataGenerator = LengthBucketedBatches
    try:
        yield
    finally:
        train_utils.RasaBatchDataGenerator = stock


class PredictingDIET(LoadedForPrediction, DIET):
    """DIET's model, loaded without a training step (bot/components/model_loading.py)."""


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class LengthBucketedDIETClassifier(DIETClassifier):
    """DIETClassifier, trained on length-bucketed batches and loaded without a training step;
    configured exactly like DIET."""

    @staticmethod
    def model_class() -> type[RasaModel]:
        return PredictingDIET

    def train(self, training_data: TrainingData) -> Resource:
        with _length_bucketed_batches():
            return super().train(training_data)
