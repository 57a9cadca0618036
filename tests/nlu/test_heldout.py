"""The trained model on held-out lines it never saw in training (see bench/nlu for the report).

The floors sit a little under the goals (95 % intent and entity accuracy, 93 % on speech) so
that a regression fails the build while bench/nlu reports the exact figures.
"""

import asyncio
from typing import Any

import pytest

from testsupport.nlu_eval import MODEL, load_heldout, predict, report
from testsupport.servers import PROJECT_ROOT

INTENT_FLOOR = 0.90
ENTITY_FLOOR = 0.90
SPEECH_FLOOR = 0.88


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it)")
    return report(asyncio.run(predict(load_heldout(), MODEL)))


def test_heldout_lines_are_not_in_the_training_data() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    trained = {
        example.get("text") for example in load_data(str(PROJECT_ROOT / "nlu_data")).intent_examples
    }
    assert not trained & {line.text for line in load_heldout()}


def test_intent_accuracy(summary: dict[str, Any]) -> None:
    assert summary["overall"]["intent_accuracy"] >= INTENT_FLOOR, summary["confusions"]


def test_entity_accuracy(summary: dict[str, Any]) -> None:
    assert summary["overall"]["entity_accuracy"] >= ENTITY_FLOOR


def test_speech_transcripts(summary: dict[str, Any]) -> None:
    speech = summary["styles"]["speech"]
    assert speech["intent_accuracy"] >= SPEECH_FLOOR
    assert speech["entity_accuracy"] >= SPEECH_FLOOR
