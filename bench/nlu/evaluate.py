"""Evaluate the trained NLU model on lines it was never trained on.

Run in the Rasa environment: `.venvs/rasa/bin/python -m bench.nlu.evaluate` (or `make bench-nlu`,
which runs every set). `--set independent` (default) scores `tests/nlu/independent/`, written
from personas by writers who never saw the training files; `--set fresh` the second such set
(`tests/nlu/fresh/`), for which only figures are printed, never its lines, so that tuning cannot
lean on it; `--set sealed` a third, written after the fresh set had been used to choose between
models, printed once per round for the model that lands; `--set heldout` the older held-out
lines. Prints intent accuracy, entity accuracy
for `policy` and `service`, the same per style, per dialect and per intent, emergency recall
with the false-alarm rate, and the most frequent intent confusions.
With --json it prints one JSON object instead. The scoring itself is testsupport/nlu_eval.py.
"""

import argparse
import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from testsupport.nlu_eval import (
    FRESH_DIR,
    HELDOUT_DIR,
    INDEPENDENT_DIR,
    MODEL,
    SEALED_DIR,
    load_heldout,
    load_independent,
    predict,
    report,
)

SET_DIRS = {"independent": INDEPENDENT_DIR, "fresh": FRESH_DIR, "sealed": SEALED_DIR}
# Sets whose lines are never printed, only their figures: nothing may be tuned against them.
FIGURES_ONLY = ("fresh", "sealed")


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
    if len(summary["dialects"]) > 1:
        print()
        for dialect, scores in summary["dialects"].items():
            print(row(dialect, scores))
    emergency = summary["emergency"]
    print(
        f"\nemergency: recall {emergency['recall']:.2%} over {emergency['lines']} lines, "
        f"false alarms {emergency['false_alarm_rate']:.2%} of the other lines"
    )
    # Lists of lines, or counts for a figures-only set (without_lines).
    for text in emergency["missed"] if isinstance(emergency["missed"], list) else ():
        print(f"  MISSED  {text}")
    for text in emergency["false_alarms"] if isinstance(emergency["false_alarms"], list) else ():
        print(f"  false alarm  {text}")
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


def without_lines(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with counts in place of the set's lines, which nobody may read."""
    emergency = summary["emergency"]
    return {
        **summary,
        "emergency": {
            **emergency,
            "missed": len(emergency["missed"]),
            "false_alarms": len(emergency["false_alarms"]),
        },
        "errors": len(summary["errors"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--set", choices=(*SET_DIRS, "heldout"), default="independent")
    parser.add_argument("--dir", type=Path, help="another folder of lines in the set's format")
    parser.add_argument("--errors", action="store_true", help="list every misread line")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.disable(logging.WARNING)
    # Rasa logs each parse through structlog at debug level: keep the report readable.
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    figures_only = args.set in FIGURES_ONLY
    if figures_only and args.errors:
        parser.error(f"the {args.set} set prints figures only: its lines are not for tuning")
    if args.set == "heldout":
        lines = load_heldout(args.dir or HELDOUT_DIR)
    else:
        lines = load_independent(args.dir or SET_DIRS[args.set])
    print(f"==> {args.set} set: {len(lines)} lines", flush=True)
    summary = report(asyncio.run(predict(lines, args.model)))
    if figures_only:
        summary = without_lines(summary)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print_report(summary, args.errors)


if __name__ == "__main__":
    main()
