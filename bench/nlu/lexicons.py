"""What the lexicons beside the model cost per message (`python -m bench.nlu.lexicons`): the
danger signs (every message a resident sends, typed or heard) and the service descriptions,
on messages of everyday length up to the longest the bot reads (bot/rest_channel.py cuts there).
Prints the median of repeated runs in milliseconds and the cost per thousand characters, which
stays flat if matching is linear in a message's length."""

import argparse
import statistics
import time
from collections.abc import Callable

from common.danger_signs import DangerSigns
from common.service_descriptions import ServiceDescriptions

# A calm message with no danger sign and no service in it, so every pattern is tried to the end.
CALM = "我想问一下低保的事情，"
LENGTHS = (30, 300, 1000, 4000)


def median_ms(find: Callable[[str], object], text: str, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        find(text)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    lexicons: dict[str, Callable[[str], object]] = {
        "danger signs": DangerSigns.load().find,
        "service descriptions": ServiceDescriptions.load().find,
    }
    print(f"{'lexicon':<22}{'chars':>7}{'ms':>9}{'ms/1000 chars':>15}")
    for name, find in lexicons.items():
        for length in LENGTHS:
            text = (CALM * (length // len(CALM) + 1))[:length]
            ms = median_ms(find, text, args.runs)
            print(f"{name:<22}{length:>7}{ms:>9.2f}{ms * 1000 / length:>15.2f}")


if __name__ == "__main__":
    main()
