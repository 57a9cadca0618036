"""Closed-loop residents for Locust: each holds whole conversations over the REST channel, one
turn after the other (the next message only after the reply), as a resident does.

`Resident.pace_s` (0 by default): a resident sends a message every `pace_s` seconds on average
(each interval drawn between half and one and a half times it, so that residents do not move in
step), or at once when the reply took longer: 32 residents at a pace of 0.8 s offer 40 turns/s,
the issue's goal for one machine. At 0 residents never pause, the stress case: each turn then
waits for every other resident's turn (by Little's law, mean latency = residents / turns/s).

Run by `bench/chat/run.py`; usable alone against a running stack:

    LINLI_BENCH_FRONT_KEY=… locust -f bench/chat/locustfile.py --host http://127.0.0.1:5005
"""

import os
import random
import time
import uuid
from collections import defaultdict

import gevent
from locust import FastHttpUser, constant, task

from bench.chat.conversations import pick
from common.fronts import FRONT_KEY_HEADER

# Every message each sender sent, in order: the run checks the trackers against it.
SENT: dict[str, list[str]] = defaultdict(list)


class Resident(FastHttpUser):
    wait_time = constant(0)
    # One connection per resident, kept alive, as a front's HTTP client would.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 10.0
    pace_s = float(os.environ.get("LINLI_BENCH_PACE_S", "0"))

    def on_start(self) -> None:
        self.rng = random.Random()
        self.front_key = os.environ.get("LINLI_BENCH_FRONT_KEY", "")
        self.last_sent = time.monotonic()

    def keep_pace(self) -> None:
        """Waits until this resident's next message is due, then marks it sent."""
        if self.pace_s > 0:
            due = self.last_sent + self.rng.uniform(0.5, 1.5) * self.pace_s
            gevent.sleep(max(0.0, due - time.monotonic()))
        self.last_sent = time.monotonic()

    @task
    def conversation(self) -> None:
        kind, turns = pick(self.rng)
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for number, turn in enumerate(turns):
            self.keep_pace()
            SENT[f"rest:{sender}"].append(turn.text)
            with self.client.post(
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": turn.text},
                headers={FRONT_KEY_HEADER: self.front_key},
                name=f"{kind} turn {number + 1}",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                    return
                try:
                    replies = response.json()
                except ValueError:
                    replies = None
                if not isinstance(replies, list):
                    response.failure("HTTP 200, but not a list of replies")
                    return
                text = " ".join(
                    str(reply.get("text") or "") for reply in replies if isinstance(reply, dict)
                )
                if not text.strip():
                    response.failure(f"HTTP {response.status_code}, no text")
                    return
                if turn.expect and turn.expect not in text:
                    response.failure(f"expected {turn.expect!r} in the reply")
                    return
                response.success()
