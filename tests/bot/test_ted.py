"""bot/components/ted.py: TED answers a dialogue state window it has already seen from memory,
exactly as its model did, and asks the model again whenever the window differs."""

from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from bot.components import ted
from bot.components.ted import RememberingTEDPolicy
from testsupport.servers import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "bot" / "domain"))


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch, domain: Domain) -> list[list[Any]]:
    """TED's own prediction, standing in for the TensorFlow call: a distinct answer for each
    call, so that a remembered answer can be told apart from a fresh one."""
    calls: list[list[Any]] = []

    def predict(
        policy: TEDPolicy, tracker: DialogueStateTracker, domain: Domain, *args: Any, **kw: Any
    ) -> PolicyPrediction:
        calls.append(policy._prediction_states(tracker, domain))
        probabilities = [0.0] * len(domain.action_names_or_texts)
        probabilities[len(calls)] = 1.0
        return policy._prediction(probabilities)

    monkeypatch.setattr(TEDPolicy, "predict_action_probabilities", predict)
    return calls


def trained_policy(tmp_path: Path) -> RememberingTEDPolicy:
    policy = RememberingTEDPolicy.create(
        {**RememberingTEDPolicy.get_default_config(), "max_history": 5},
        LocalModelStorage(tmp_path),
        Resource("ted"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    # Only whether a model exists matters here: its predictions are the stand-in's.
    policy.model = object()  # type: ignore[assignment]
    return policy


def predicted(
    policy: RememberingTEDPolicy, domain: Domain, sender: str, intent: str, *events: Any
) -> PolicyPrediction:
    """The policy's prediction after `sender` says something read as `intent`."""
    tracker = DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_listen"), *events, UserUttered("…", {"name": intent})],
        domain.slots,
    )
    return policy.predict_action_probabilities(tracker, domain)


def test_a_state_window_seen_before_is_answered_as_the_model_answered_it(
    tmp_path: Path, domain: Domain, model_calls: list[list[Any]]
) -> None:
    policy = trained_policy(tmp_path)
    first = predicted(policy, domain, "rest:a", "greet")
    # Another resident, the same states: no model call, the same probabilities.
    again = predicted(policy, domain, "rest:b", "greet")
    assert len(model_calls) == 1
    assert again.probabilities == first.probabilities
    assert again.policy_name == "RememberingTEDPolicy"


def test_a_different_intent_or_slot_asks_the_model_again(
    tmp_path: Path, domain: Domain, model_calls: list[list[Any]]
) -> None:
    policy = trained_policy(tmp_path)
    greet = predicted(policy, domain, "rest:a", "greet")
    booking = predicted(policy, domain, "rest:a", "book_service")
    # A slot that shapes the dialogue (a cancellation waiting to be confirmed).
    confirming = predicted(
        policy, domain, "rest:a", "book_service", SlotSet("pending_cancel", "B-1")
    )
    # One that does not (the address) leaves the states, and the answer, as they were.
    with_address = predicted(
        policy, domain, "rest:b", "book_service", SlotSet("address", "幸福小区3号楼201")
    )
    assert len(model_calls) == 3
    assert len({tuple(p.probabilities) for p in (greet, booking, confirming)}) == 3
    assert with_address.probabilities == booking.probabilities


def test_a_model_that_reads_the_words_is_always_asked(
    tmp_path: Path, domain: Domain, model_calls: list[list[Any]]
) -> None:
    policy = trained_policy(tmp_path)
    policy.fake_features[TEXT] = []
    for sender in ("rest:a", "rest:b"):
        predicted(policy, domain, sender, "greet")
    assert len(model_calls) == 2


def test_the_table_keeps_only_the_latest_windows(
    tmp_path: Path, domain: Domain, model_calls: list[list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ted, "PREDICTIONS_KEPT", 2)
    policy = trained_policy(tmp_path)
    for intent in ("greet", "book_service", "apply_aid", "greet"):
        predicted(policy, domain, "rest:a", intent)
    # greet was pushed out by the two after it, so the model was asked for it again.
    assert len(model_calls) == 4
    assert len(policy._predictions) == 2
