"""Closed-loop residents for Locust: each holds whole conversations over the REST channel, one
turn after the other (the next message only after the reply), as a resident does.

Run by `bench/chat/run.py`; usable alone against a running stack:

    LINLI_BENCH_FRONT_KEY=… locust -f bench/chat/locustfile.py --host http://127.0.0.1:5005
"""

import os
import random
import uuid
from collections import defaultdict

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

    def on_start(self) -> None:
        self.rng = random.Random()
        self.front_key = os.environ.get("LINLI_BENCH_FRONT_KEY", "")

    @task
    def conversation(self) -> None:
        kind, turns = pick(self.rng)
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for number, turn in enumerate(turns):
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
