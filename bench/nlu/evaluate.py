"""Evaluate the trained NLU model on the held-out lines it was never trained on.

Run in the Rasa environment: `.venvs/rasa/bin/python -m bench.nlu.evaluate` (or `make bench-nlu`).
Prints intent accuracy, entity accuracy for `policy` and `service`, the most frequent intent
confusions, and the same figures for each style (one file per style in tests/nlu/heldout/).
With --json it prints one JSON object instead. The scoring itself is testsupport/nlu_eval.py.
"""

import argparse
import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from testsupport.nlu_eval import HELDOUT_DIR, MODEL, load_heldout, predict, report


def print_report(summary: dict[str, Any], show_errors: bool) -> None:
    def row(name: str, scores: dict[str, Any]) -> str:
        return (
            f"{name:<12} lines {scores['lines']:>4}   intent {scores['intent_accuracy']:7.2%}"
            f"   entity (policy, service) {scores['entity_accuracy']:7.2%}"
            f" over {scores['entity_lines']} lines"
        )

    print(row("overall", summary["overall"]))
    for style, scores in summary["styles"].items():
        print(row(style, scores))
    print("\nper intent (gold): lines, accuracy, misread as")
    for intent, row in summary["intents"].items():
        misread = ", ".join(f"{name} {count}" for name, count in row["read_as"].items())
        print(f"  {intent:<18} {row['lines']:>4}  {row['accuracy']:7.2%}  {misread}")
    print("\nmost frequent intent confusions (gold -> predicted):")
    for confusion in summary["confusions"]:
        print(f"  {confusion['count']:>3}  {confusion['gold']} -> {confusion['predicted']}")
    if show_errors:
        print("\nerrors:")
        for error in summary["errors"]:
            print(
                f"  [{error['style']}] {error['text']}\n      gold {error['gold']} "
                f"{error['gold_entities']}  predicted {error['predicted']} "
                f"({error['confidence']}) {error['predicted_entities']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--heldout", type=Path, default=HELDOUT_DIR)
    parser.add_argument("--errors", action="store_true", help="list every misread line")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.disable(logging.WARNING)
    summary = report(asyncio.run(predict(load_heldout(args.heldout), args.model)))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print_report(summary, args.errors)


if __name__ == "__main__":
    main()
