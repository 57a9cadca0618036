"""The action server's /metrics (issue 15): actions run, failed or over their time budget, how
long they took, and the outbox's depth and the age of its oldest write, read at each scrape."""

from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from common.metrics import TURN_BUCKETS
from common.outbox import Outbox, OutboxUnavailableError

ACTIONS = Counter("linli_actions_total", "Custom actions run", ["action", "outcome"])
ACTION_SECONDS = Histogram(
    "linli_action_seconds", "Time a custom action took", ["action"], buckets=TURN_BUCKETS
)


class OutboxCollector(Collector):
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depth, age = self.outbox.depth_and_oldest_age_s()
        except OutboxUnavailableError:
            depth, age = -1, -1.0
        yield GaugeMetricFamily("linli_outbox_depth", "Writes waiting in the outbox", value=depth)
        yield GaugeMetricFamily(
            "linli_outbox_oldest_age_seconds", "How long the oldest waiting write has waited",
            value=age,
        )  # fmt: skip


_watched: list[OutboxCollector] = []


def watch_outbox(outbox: Outbox) -> None:
    """Report `outbox` at every scrape; an app made again in one process (tests) reports its
    own outbox instead of registering a second collector."""
    if _watched:
        _watched[0].outbox = outbox
        return
    collector = OutboxCollector(outbox)
    REGISTRY.register(collector)
    _watched.append(collector)
