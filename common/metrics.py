"""What every service's `/metrics` shares (issue 15): who may read it and how it is written.

Each service keeps its own metrics beside its own code (prometheus-client, in both
virtualenvs); this module only answers a scrape. Prometheus is one more caller, with its own
secret, `LINLI_METRICS_TOKEN` (var/linli.env), sent as `Authorization: Bearer …`: without it,
or with no token configured, a scrape gets 401. Label values are route templates, action and
intent names, never a sender id or anything a resident said.

A process that forks workers (uvicorn --workers) sets PROMETHEUS_MULTIPROC_DIR, and a scrape
then adds up every worker's figures.
"""

import hmac
import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

TOKEN_VARIABLE = "LINLI_METRICS_TOKEN"
# Latency buckets (seconds) for a resident's turn and the steps inside it.
TURN_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)


def may_scrape(authorization: str | None, token: str | None = None) -> bool:
    """Whether an `Authorization` header value carries the metrics token."""
    expected = token if token is not None else os.environ.get(TOKEN_VARIABLE, "")
    given = (authorization or "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def exposition() -> tuple[bytes, str]:
    """The scrape's body and content type: this process's metrics, or every worker's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
