"""Scoring the trained NLU model on lines it never saw: shared by `tests/nlu` (floors that fail
the build) and `bench/nlu` (the printed report). Runs in the Rasa environment.

Two sets: `tests/nlu/heldout/` (Rasa YAML, written beside the training data) and
`tests/nlu/independent/` (TSV: style, dialect, intent, entities, text), written from personas
by writers who never saw the training files. The second is the honest figure."""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HELDOUT_DIR = PROJECT_ROOT / "tests" / "nlu" / "heldout"
INDEPENDENT_DIR = PROJECT_ROOT / "tests" / "nlu" / "independent"
# A second set in the same format, written later from other personas. Its lines are never
# listed one by one while the model is being improved (bench prints only its figures), so that
# it stays an honest measure of how the assistant reads words nobody tuned it for.
FRESH_DIR = PROJECT_ROOT / "tests" / "nlu" / "fresh"
# A third, written after the fresh set had been used to choose between models: print its
# figures once per round, for the model that lands, and choose nothing by them.
SEALED_DIR = PROJECT_ROOT / "tests" / "nlu" / "sealed"
MODEL = PROJECT_ROOT / "models" / "linli.tar.gz"
SCORED_ENTITIES = ("policy", "service")


@dataclass
class Line:
    style: str
    text: str
    intent: str
    entities: frozenset[tuple[str, str]]
    dialect: str = "standard"


@dataclass
class Result:
    line: Line
    intent: str
    confidence: float
    entities: frozenset[tuple[str, str]]


@dataclass
class Scores:
    lines: int = 0
    intent_correct: int = 0
    entity_lines: int = 0
    entity_correct: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, result: Result) -> None:
        self.lines += 1
        if result.intent == result.line.intent:
            self.intent_correct += 1
        else:
            self.confusions[(result.line.intent, result.intent)] += 1
        # Entity lines: the gold line or the prediction names a policy or service.
        if result.line.entities or result.entities:
            self.entity_lines += 1
            self.entity_correct += result.line.entities == result.entities

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.lines if self.lines else 0.0

    @property
    def entity_accuracy(self) -> float:
        return self.entity_correct / self.entity_lines if self.entity_lines else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "intent_accuracy": round(self.intent_accuracy, 4),
            "entity_lines": self.entity_lines,
            "entity_accuracy": round(self.entity_accuracy, 4),
        }


def load_independent(directory: Path = INDEPENDENT_DIR) -> list[Line]:
    """`style<TAB>dialect<TAB>intent<TAB>kind=value;…|-<TAB>text`, one line per message."""
    lines = []
    for path in sorted(directory.glob("*.tsv")):
        for number, row in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not row.strip():
                continue
            fields = row.split("\t")
            if len(fields) != 5:
                raise ValueError(f"{path.name}:{number}: expected 5 tab-separated columns")
            style, dialect, intent, entities, text = (field.strip() for field in fields)
            pairs = frozenset(
                (kind, value)
                for kind, _, value in (pair.partition("=") for pair in entities.split(";"))
                if entities != "-" and kind in SCORED_ENTITIES
            )
            lines.append(Line(style, text, intent, pairs, dialect))
    return lines


def load_heldout(directory: Path = HELDOUT_DIR) -> list[Line]:
    from rasa.shared.nlu.training_data.loading import load_data

    lines = []
    for path in sorted(directory.glob("*.yml")):
        for example in load_data(str(path)).intent_examples:
            entities = frozenset(
                (e["entity"], str(e["value"]))
                for e in example.get("entities") or []
                if e["entity"] in SCORED_ENTITIES
            )
            lines.append(Line(path.stem, example.get("text"), example.get("intent"), entities))
    return lines


async def predict(lines: list[Line], model: Path) -> list[Result]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    results = []
    for line in lines:
        parsed = await agent.parse_message(line.text)
        entities = frozenset(
            (e["entity"], str(e["value"]))
            for e in parsed.get("entities", [])
            if e["entity"] in SCORED_ENTITIES
        )
        intent = parsed["intent"]
        results.append(Result(line, intent["name"], float(intent["confidence"]), entities))
    return results


def per_intent(results: list[Result]) -> dict[str, dict[str, Any]]:
    """For each gold intent: how many lines, how many read right, and what the rest became."""
    rows: dict[str, dict[str, Any]] = {}
    for result in results:
        row = rows.setdefault(result.line.intent, {"lines": 0, "correct": 0, "read_as": Counter()})
        row["lines"] += 1
        if result.intent == result.line.intent:
            row["correct"] += 1
        else:
            row["read_as"][result.intent] += 1
    return {
        intent: {
            "lines": row["lines"],
            "accuracy": round(row["correct"] / row["lines"], 4),
            "read_as": dict(row["read_as"].most_common()),
        }
        for intent, row in sorted(rows.items())
    }


def emergency_detection(results: list[Result]) -> dict[str, Any]:
    """Emergencies are scored on their own: a miss is the worst error; a false alarm costs a
    question and is reported, not hidden in the overall figure."""
    gold = [r for r in results if r.line.intent == "emergency"]
    other = [r for r in results if r.line.intent != "emergency"]
    missed = [r.line.text for r in gold if r.intent != "emergency"]
    false_alarms = [r.line.text for r in other if r.intent == "emergency"]
    return {
        "lines": len(gold),
        "recall": round(1 - len(missed) / len(gold), 4) if gold else 1.0,
        "false_alarm_rate": round(len(false_alarms) / len(other), 4) if other else 0.0,
        "missed": missed,
        "false_alarms": false_alarms,
    }


def report(results: list[Result]) -> dict[str, Any]:
    overall = Scores()
    by_style: dict[str, Scores] = {}
    by_dialect: dict[str, Scores] = {}
    for result in results:
        overall.add(result)
        by_style.setdefault(result.line.style, Scores()).add(result)
        by_dialect.setdefault(result.line.dialect, Scores()).add(result)
    return {
        "overall": overall.as_dict(),
        "styles": {style: scores.as_dict() for style, scores in sorted(by_style.items())},
        "dialects": {name: scores.as_dict() for name, scores in sorted(by_dialect.items())},
        "emergency": emergency_detection(results),
        "intents": per_intent(results),
        "confusions": [
            {"gold": gold, "predicted": predicted, "count": count}
            for (gold, predicted), count in overall.confusions.most_common(15)
        ],
        "errors": [
            {
                "style": r.line.style,
                "text": r.line.text,
                "gold": r.line.intent,
                "predicted": r.intent,
                "confidence": round(r.confidence, 3),
                "gold_entities": sorted(r.line.entities),
                "predicted_entities": sorted(r.entities),
            }
            for r in results
            if r.intent != r.line.intent or r.entities != r.line.entities
        ],
    }
