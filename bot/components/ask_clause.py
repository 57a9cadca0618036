"""The request at the end of a long message, read on its own.

A resident who writes at length tells the story first and asks last: "俺老伴儿走了三年了……药钱就得
四五百……俺想着申请个低保，先把名报上，恁看看给俺咋弄". Read whole, the story outweighs the clause
that asks, and DIET hears a hardship told (`report_hardship`), a detail given (`inform`) or is
unsure; read alone, the last clauses say plainly what is wanted.

`AskClauseSplitter` (right after the text is normalised) puts the last clauses of a long
message (`common.clauses`) into the batch beside it as a message of their own, so the
tokenizer, the featurizers and the classifiers read them exactly as they read any message.
`AskClauseResolver` (after the FallbackClassifier) takes the clause's reading for the whole
message when the whole was read as a story, the message names a policy or a service, and the
clause asks about it with confidence; then the clauses leave the batch. The message keeps its
own entities. Rasa reads the first message of the batch, which is always the resident's.
"""

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.entities import CANONICAL_VALUES
from bot.components.lexicons import BOOK_SERVICE, FALLBACK, POLICY_QUESTIONS, read_as
from common.clauses import ask_clause

# Where the clause of a message in the batch points: the index of its message.
CLAUSE_OF = "ask_clause_of"
# Readings that tell a story rather than ask.
STORY = frozenset({"report_hardship", "inform", FALLBACK})
# Requests about a policy or a service the message names.
ASKS = POLICY_QUESTIONS | {BOOK_SERVICE, "check_status", "cancel_booking"}
CONFIDENT = 0.9


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class AskClauseSplitter(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AskClauseSplitter":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # The model learns from whole messages; clauses are read only when predicting.
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        clauses = []
        for index, message in enumerate(messages):
            clause = ask_clause(message.get(TEXT) or "")
            if clause is not None:
                clauses.append(Message(data={TEXT: clause, CLAUSE_OF: index}))
        return [*messages, *clauses]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AskClauseResolver(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AskClauseResolver":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        residents = [message for message in messages if message.get(CLAUSE_OF) is None]
        for clause in messages:
            index = clause.get(CLAUSE_OF)
            if index is not None and 0 <= index < len(residents):
                take_the_request(residents[index], clause)
        return residents


def take_the_request(message: Message, clause: Message) -> None:
    """Read `message` as its `clause` reads when the whole told a story about a policy or a
    service it names and the clause confidently asks about one."""
    whole = (message.get(INTENT) or {}).get("name")
    asked = clause.get(INTENT) or {}
    names = any(entity.get("entity") in CANONICAL_VALUES for entity in message.get(ENTITIES) or [])
    if (
        whole in STORY
        and names
        and asked.get("name") in ASKS
        and float(asked.get("confidence") or 0) >= CONFIDENT
    ):
        read_as(message, asked["name"], float(asked["confidence"]))
