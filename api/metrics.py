"""The backend's /metrics (issue 15): requests by route template and status, their latency, and
errors by kind. Read with the metrics token (common/metrics.py)."""

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.metrics import TURN_BUCKETS, exposition, may_scrape

REQUESTS = Counter(
    "linli_backend_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "linli_backend_request_seconds", "Time to answer an HTTP request", ["route"],
    buckets=TURN_BUCKETS,
)  # fmt: skip


class RequestMetrics:
    """Pure ASGI middleware: counts and times every HTTP request by its route template (never
    the path itself, which may hold a case or booking number)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)


def mount_metrics(app: FastAPI) -> None:
    app.add_middleware(RequestMetrics)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if not may_scrape(request.headers.get("authorization")):
            return Response("metrics token required\n", status_code=401, media_type="text/plain")
        body, content_type = exposition()
        return Response(body, media_type=content_type)
