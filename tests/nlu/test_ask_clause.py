"""The last clauses of a long message, read on their own (bot/components/ask_clause.py)."""

from typing import Any

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.ask_clause import CLAUSE_OF, AskClauseResolver, AskClauseSplitter
from common.clauses import ask_clause

STORY = (
    "俺老伴儿走了三年了，俺一个人住在老楼里，一个月退休金一千二，俺想着申请个低保，恁看看给俺咋弄"
)


def reading(text: str, intent: str, confidence: float, **data: Any) -> Message:
    ranking = [{"name": intent, "confidence": confidence}]
    return Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking, **data})


def dibao(text: str) -> list[dict[str, Any]]:
    start = text.index("低保")
    return [{"entity": "policy", "value": "dibao", "start": start, "end": start + 2}]


def resolved(whole: Message, clause_intent: str, confidence: float) -> Message:
    """`whole` after the resolver, its clause read as `clause_intent`."""
    clause = reading(ask_clause(whole.get("text")) or "", clause_intent, confidence)
    clause.set(CLAUSE_OF, 0)
    out = AskClauseResolver().process([whole, clause])
    assert out == [whole]
    return whole


def test_the_splitter_puts_the_clauses_beside_their_message() -> None:
    short = Message(data={"text": "你好"})
    long = Message(data={"text": STORY})
    batch = AskClauseSplitter().process([short, long])
    assert batch[:2] == [short, long]
    assert [(m.get("text"), m.get(CLAUSE_OF)) for m in batch[2:]] == [
        ("俺想着申请个低保，恁看看给俺咋弄", 1)
    ]


def test_the_splitter_leaves_training_data_alone() -> None:
    data = TrainingData([Message(data={"text": STORY, "intent": "apply_aid"})])
    assert AskClauseSplitter().process_training_data(data).training_examples[0].get("text") == STORY


def test_a_story_that_names_a_policy_and_ends_asking_is_the_request() -> None:
    whole = reading(STORY, "report_hardship", 0.9, entities=dibao(STORY))
    assert resolved(whole, "apply_aid", 0.98).get("intent") == {
        "name": "apply_aid",
        "confidence": 0.98,
    }
    assert whole.get("intent_ranking")[0]["name"] == "apply_aid"
    unsure = reading(STORY, "nlu_fallback", 0.45, entities=dibao(STORY))
    assert resolved(unsure, "apply_aid", 0.95).get("intent")["name"] == "apply_aid"


def test_the_whole_reading_stays_otherwise() -> None:
    # The clause unsure, the message naming nothing, the clause not a request about a policy
    # or service, or the whole already read as a request: the whole message's reading stands.
    cases = [
        (reading(STORY, "report_hardship", 0.9, entities=dibao(STORY)), "apply_aid", 0.6),
        (reading(STORY, "report_hardship", 0.9), "apply_aid", 0.99),
        (reading(STORY, "report_hardship", 0.9, entities=dibao(STORY)), "thank", 0.99),
        (reading(STORY, "emergency", 1.0, entities=dibao(STORY)), "apply_aid", 0.99),
        (reading(STORY, "ask_policy", 0.7, entities=dibao(STORY)), "apply_aid", 0.99),
    ]
    for whole, clause_intent, confidence in cases:
        before = whole.get("intent")["name"]
        assert resolved(whole, clause_intent, confidence).get("intent")["name"] == before
