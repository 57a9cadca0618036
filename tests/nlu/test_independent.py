"""The trained model on the independent evaluation set (tests/nlu/independent/): lines written
from personas by writers who never saw the training files. bench/nlu prints the figures; the
floors here sit a little under them so that a regression fails the build."""

import asyncio
import re
import unicodedata
from typing import Any

import pytest

from testsupport.nlu_eval import (
    FRESH_DIR,
    MODEL,
    SEALED_DIR,
    load_independent,
    predict,
    report,
)
from testsupport.servers import PROJECT_ROOT

INTENT_FLOOR = 0.93
ENTITY_FLOOR = 0.93
STYLE_FLOOR = 0.88
EMERGENCY_RECALL_FLOOR = 0.98


def _plain(text: str) -> str:
    return re.sub(r"\W+", "", unicodedata.normalize("NFKC", text).lower())


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it)")
    return report(asyncio.run(predict(load_independent(), MODEL)))


def test_the_set_is_large_and_apart_from_the_training_data() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    trained = {
        _plain(example.get("text"))
        for example in load_data(str(PROJECT_ROOT / "nlu_data")).intent_examples
    }
    for lines in (load_independent(), load_independent(FRESH_DIR), load_independent(SEALED_DIR)):
        assert len(lines) >= 600
        assert not trained & {_plain(line.text) for line in lines}
    # The hotline's caller turns (bench-voice measures intent through speech on them) too.
    caller_turns = load_independent(PROJECT_ROOT / "bench" / "voice" / "caller_turns")
    assert len(caller_turns) >= 100
    assert not trained & {_plain(line.text) for line in caller_turns}


def test_intent_and_entity_accuracy(summary: dict[str, Any]) -> None:
    overall = summary["overall"]
    assert overall["intent_accuracy"] >= INTENT_FLOOR, summary["confusions"]
    assert overall["entity_accuracy"] >= ENTITY_FLOOR


def test_every_style(summary: dict[str, Any]) -> None:
    for style, scores in summary["styles"].items():
        assert scores["intent_accuracy"] >= STYLE_FLOOR, style


def test_emergencies_are_not_missed(summary: dict[str, Any]) -> None:
    emergency = summary["emergency"]
    assert emergency["recall"] >= EMERGENCY_RECALL_FLOOR, emergency["missed"]
