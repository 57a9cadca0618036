"""The voice bridge's metrics (issue 15), served on the AudioSocket control port at /metrics with
the metrics token: calls in progress and how they ended, turns, and the time of each stage of a
turn (endpointing, recognition, correction, NLU, first audio of the reply)."""

from prometheus_client import Counter, Gauge, Histogram

from common.metrics import TURN_BUCKETS

CALLS_IN_PROGRESS = Gauge("linli_voice_calls_in_progress", "Calls being served", ["transport"])
CALLS = Counter("linli_voice_calls_total", "Calls ended", ["transport", "outcome"])
TURNS = Counter("linli_voice_turns_total", "Caller turns answered", ["transport"])
TURN_SECONDS = Histogram(
    "linli_voice_turn_seconds", "End of the caller's speech to the first reply audio",
    buckets=TURN_BUCKETS,
)  # fmt: skip
STAGE_SECONDS = Histogram(
    "linli_voice_stage_seconds", "Time of one stage of a caller's turn", ["stage"],
    buckets=TURN_BUCKETS,
)  # fmt: skip
