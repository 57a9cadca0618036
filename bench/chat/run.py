"""Load test of the chat path with Locust: closed-loop residents holding real conversations
(policy questions, bookings to the end, status checks) over the REST channel, a turn being the
whole round trip with its custom actions and backend calls. For each number of residents it
prints turns/s, p50/p95/p99 and failures, then checks every tracker against what was sent:
nothing lost, nothing twice, in order.

    make bench-chat                                   # the embedded stack, started here
    python -m bench.chat.run --residents 8 32 --seconds 30
    # residents who send a message every 0.8 s on average (32 of them offer 40 turns/s):
    python -m bench.chat.run --residents 32 --pace-s 0.8
    # the scaled profile (PostgreSQL, Redis, HAProxy), started here with 1 and then 2 Rasa
    # replicas:
    python -m bench.chat.run --profile scaled --replicas 1 2 --residents 8 32
    # a running stack (the scaled profile's load balancer, say):
    python -m bench.chat.run --url http://127.0.0.1:5005 --front-key … --rasa-token …
"""

# Locust patches the standard library for gevent: it must be imported before anything else.
import locust  # noqa: F401, I001

import argparse
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gevent
import httpx
from locust.env import Environment

from bench.chat import locustfile
from common.personal_numbers import redact_personal_numbers
from testsupport.scaled import scaled_stack
from testsupport.servers import rasa_stack


# Starts a stack and gives its Rasa (or load balancer) URL, REST key and Rasa token.
StartStack = Callable[[], AbstractContextManager[tuple[str, str, str]]]


@contextlib.contextmanager
def embedded_stack() -> Iterator[tuple[str, str, str]]:
    with (
        tempfile.TemporaryDirectory(prefix="linli-bench-chat-") as tmp,
        rasa_stack(Path(tmp)) as stack,
    ):
        yield stack.rasa_url, stack.front_keys["rest"], stack.rasa_token


@contextlib.contextmanager
def scaled(replicas: int) -> Iterator[tuple[str, str, str]]:
    with (
        tempfile.TemporaryDirectory(prefix="linli-bench-chat-scaled-") as tmp,
        scaled_stack(Path(tmp), rasa_replicas=replicas) as stack,
    ):
        yield stack.rasa_url, stack.front_keys["rest"], stack.rasa_token


def run_level(url: str, residents: int, warmup_s: float, seconds: float) -> dict[str, Any]:
    locustfile.SENT.clear()
    env = Environment(user_classes=[locustfile.Resident], host=url)
    runner = env.create_local_runner()
    runner.start(residents, spawn_rate=residents)
    gevent.sleep(warmup_s)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    total = env.stats.total
    figures = {
        "residents": residents,
        "turns": total.num_requests,
        "turns_per_s": round(total.num_requests / elapsed, 1),
        "p50_ms": total.get_response_time_percentile(0.50),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "failures": total.num_failures,
        "failure_kinds": {
            str(error.error): error.occurrences for error in env.stats.errors.values()
        },
    }
    runner.quit()
    runner.greenlet.join(timeout=90)
    return figures


def check_trackers(url: str, rasa_token: str) -> dict[str, int]:
    """Every conversation's user messages against what its resident sent."""
    counts = {"conversations": 0, "lost": 0, "twice": 0, "out_of_order": 0}
    with httpx.Client(base_url=url, timeout=30) as client:
        for sender, sent in locustfile.SENT.items():
            counts["conversations"] += 1
            tracker = client.get(
                f"/conversations/{quote(sender, safe=':')}/tracker", params={"token": rasa_token}
            ).json()
            said = [
                event.get("text")
                for event in tracker.get("events", [])
                if event.get("event") == "user"
            ]
            expected = [redact_personal_numbers(text) for text in sent]
            # The last message may still be in flight when the run stopped.
            if said != expected and said != expected[:-1]:
                counts["lost"] += sum(1 for text in set(expected[:-1]) if text not in said)
                counts["twice"] += sum(
                    1 for text in set(said) if said.count(text) > expected.count(text)
                )
                counts["out_of_order"] += int(
                    [text for text in said if text in expected]
                    != [t for t in expected if t in said]
                )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--url", help="a running stack's Rasa (or load balancer) URL")
    parser.add_argument("--front-key", default=os.environ.get("LINLI_RASA_REST_KEY", ""))
    parser.add_argument("--rasa-token", default=os.environ.get("LINLI_RASA_AUTH_TOKEN", ""))
    parser.add_argument(
        "--pace-s", type=float, default=0.0,
        help="a message from each resident every this many seconds on average (0: no pause)",
    )  # fmt: skip
    parser.add_argument("--label", default="")
    parser.add_argument("--profile", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument(
        "--replicas", type=int, nargs="+", default=[1, 2], help="Rasa replicas (scaled profile)"
    )
    args = parser.parse_args()
    locustfile.Resident.pace_s = args.pace_s
    stacks: list[tuple[str, StartStack]]
    if args.url:
        running: tuple[str, str, str] = (args.url, args.front_key, args.rasa_token)
        stacks = [(args.label or "running stack", lambda: contextlib.nullcontext(running))]
    elif args.profile == "scaled":
        stacks = [
            (f"scaled, {count} Rasa replica{'s' * (count > 1)}", partial(scaled, count))
            for count in args.replicas
        ]
    else:
        stacks = [("embedded", embedded_stack)]
    for label, start in stacks:
        starting = time.monotonic()
        with start() as (url, front_key, rasa_token):
            if not args.url:
                # Processes started to every server answering (Rasa has loaded its model).
                cold_start_s = round(time.monotonic() - starting, 1)
                print(json.dumps({"profile": label, "cold_start_s": cold_start_s}), flush=True)
            os.environ["LINLI_BENCH_FRONT_KEY"] = front_key
            run_level(url, 2, 2, 3)  # first turns load what loads lazily
            for residents in args.residents:
                figures = run_level(url, residents, args.warmup, args.seconds)
                figures["trackers"] = check_trackers(url, rasa_token)
                figures["profile"] = label
                figures["pace_s"] = args.pace_s
                print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
