"""TED that remembers what it predicted for the dialogue states it has already seen.

TED's prediction is a pure function of the last `max_history` dialogue states (the intents,
entity names, slot features, active form and previous actions; our stories carry no
end-to-end text, so no words of the message take part), and residents' conversations pass
through the same few hundred states again and again: a policy question after a greeting, the
booking form's third question. Yet each prediction is a TensorFlow call, about a quarter of the
Rasa process's time on a turn (py-spy, README "Scale and operations"). Here the states TED
itself would featurize are the key of a bounded table of its predictions; a state window seen
before gets the same probabilities without the model. A model that reads message text (end to
end) is never served from the table.
"""

import json
from collections import OrderedDict
from typing import Any

from rasa.core.featurizers.precomputation import MessageContainerForCoreFeaturization
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TED, TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from bot.components.model_loading import LoadedForPrediction

# Distinct state windows kept: each is a few kilobytes of JSON and a row of probabilities.
PREDICTIONS_KEPT = 4096


def states_key(states: list[Any]) -> str:
    """One string for a list of dialogue states (dicts of tuples, strings and floats)."""
    return json.dumps(states, sort_keys=True, ensure_ascii=False, default=list)


class PredictingTED(LoadedForPrediction, TED):
    """TED's model, loaded without a training step (bot/components/model_loading.py)."""


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class RememberingTEDPolicy(TEDPolicy):
    """TEDPolicy, configured and trained exactly like it, whose predictions for a state window
    already seen come from a table of its earlier ones (at most `PREDICTIONS_KEPT`), and whose
    model loads without a training step."""

    @staticmethod
    def model_class() -> type[TED]:
        return PredictingTED

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._predictions: OrderedDict[str, PolicyPrediction] = OrderedDict()

    def _reads_text(self) -> bool:
        return bool(self.only_e2e or TEXT in self.fake_features)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        precomputations: MessageContainerForCoreFeaturization | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self.model is None or self._reads_text():
            return super().predict_action_probabilities(
                tracker, domain, rule_only_data, precomputations, **kwargs
            )
        key = states_key(self._prediction_states(tracker, domain, rule_only_data=rule_only_data))
        known = self._predictions.get(key)
        if known is not None:
            self._predictions.move_to_end(key)
            return self._prediction(
                list(known.probabilities),
                is_end_to_end_prediction=known.is_end_to_end_prediction,
                diagnostic_data=known.diagnostic_data,
            )
        prediction = super().predict_action_probabilities(
            tracker, domain, rule_only_data, precomputations, **kwargs
        )
        self._predictions[key] = prediction
        while len(self._predictions) > PREDICTIONS_KEPT:
            self._predictions.popitem(last=False)
        return prediction
