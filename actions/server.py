"""The action server (`python -m actions.server`): rasa-sdk's executor behind a small Sanic app,
with what `rasa run actions` lacks:

- it listens on 127.0.0.1 unless `LINLI_ACTIONS_HOST` says otherwise;
- only the Rasa server may call it: every request carries the shared token
  (`LINLI_ACTIONS_SERVER_TOKEN`, sent by Rasa from `bot/endpoints.yml`), compared in constant
  time; without a configured token the server does not start;
- an action that fails never answers 500 (Rasa would drop the turn and the resident would hear
  nothing): the failure is logged with the sender and the resident gets an apology instead;
- errors never echo the request (rasa-sdk's handler returns the whole tracker, personal
  numbers included);
- the outbox is flushed by a background task that lives as long as the server
  (`actions/outbox_flusher.py`).
"""

import asyncio
import functools
import hmac
import json
import logging
import os
import time
import zlib
from typing import Any

from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException, Tracker
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.backend import close_shared_backend_clients, for_turn
from actions.metrics import ACTION_SECONDS, ACTIONS, watch_outbox
from actions.outbox_flusher import run_outbox_flusher
from actions.settings import ActionSettings, get_settings
from common.metrics import exposition, may_scrape
from common.outbox import Outbox
from common.personal_numbers import redact_logs

log = logging.getLogger(__name__)

ACTION_FAILED_APOLOGY = (
    "抱歉，系统刚才出了点问题，这一步没有办完，也没有替您提交任何东西。"
    "请稍后再说一遍，或者说“转人工”找工作人员；紧急情况请直接拨打120或110。"
)
# The action failed after a write reached the outbox: it is kept and will be sent (once).
ACTION_FAILED_KEPT_APOLOGY = (
    "抱歉，系统刚才出了点问题，这一步没有办完。您刚才要办的事已经记下了，"
    "系统会自动补交给工作人员，不会重复提交；稍后可以说“查进度”看看。"
    "紧急情况请直接拨打120或110。"
)


# The longest one action may take. A turn runs a few actions, so Rasa's lock on the resident's
# conversation (bot/lock_store.py: two minutes) outlives any turn: no second message of the
# same resident runs beside it. Writes that did not land by then wait in the outbox.
ACTION_TIME_BUDGET_S = 30.0


def never_silent(name: str, run: Any) -> Any:
    """`run` as an action that answers with an apology instead of failing or running over
    its time budget. A form's rejection is not a failure: Rasa needs it to hand the message
    to the rules."""

    @functools.wraps(run)
    async def guarded(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        started = time.perf_counter()
        outcome = "ok"
        try:
            with for_turn(name, tracker) as turn:
                try:
                    result = run(dispatcher, tracker, domain)
                    if hasattr(result, "__await__"):
                        result = await asyncio.wait_for(result, ACTION_TIME_BUDGET_S)
                    return list(result or [])
                except ActionExecutionRejection:
                    outcome = "rejected"
                    raise
                except asyncio.CancelledError:
                    outcome = "cancelled"
                    raise
                except Exception as error:
                    outcome = "timeout" if isinstance(error, TimeoutError) else "failed"
                    log.exception("action %s failed for sender %s", name, tracker.sender_id)
                    # A write cut off mid-send stays in the outbox (its lease runs out, then the
                    # flusher sends it under the same Idempotency-Key): say it was kept.
                    kept = turn.kept_writes > 0
                    dispatcher.utter_message(
                        text=ACTION_FAILED_KEPT_APOLOGY if kept else ACTION_FAILED_APOLOGY
                    )
                    return []
        finally:
            ACTIONS.labels(name, outcome).inc()
            ACTION_SECONDS.labels(name).observe(time.perf_counter() - started)

    return guarded


class GuardedExecutor(ActionExecutor):
    """Every action registered here is wrapped by `never_silent`."""

    def register_function(self, name: str, f: Any) -> None:
        super().register_function(name, never_silent(name, f))


def start_outbox_flusher(app: Sanic, settings: ActionSettings) -> None:
    """Flush the outbox in the background for as long as the server runs (write-ahead rows of
    a backend that was down, or of a process that died mid-request)."""

    async def start(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        app.add_task(run_outbox_flusher(settings), name="outbox_flusher")

    async def stop(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await app.cancel_task("outbox_flusher", raise_exception=False)
        # The actions' one pool of kept-alive connections to the backend.
        await close_shared_backend_clients()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")


def create_app(
    token: str, package: str = "actions", settings: ActionSettings | None = None
) -> Sanic:
    app = Sanic("linli_actions", configure_logging=False)
    executor = GuardedExecutor()
    executor.register_package(package)
    if settings is not None:
        start_outbox_flusher(app, settings)
        watch_outbox(Outbox(settings.outbox_path, keys=settings.outbox_key.get_secret_value()))

    async def caller_must_hold_the_token(request: Request) -> HTTPResponse | None:
        if request.path in ("/health", "/metrics"):  # /metrics asks for its own token
            return None
        given = request.args.get("token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "missing or wrong token"}, status=401)
        return None

    app.register_middleware(caller_must_hold_the_token, "request")

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/metrics")
    async def metrics(request: Request) -> HTTPResponse:
        if not may_scrape(request.headers.get("authorization")):
            return response.text("metrics token required\n", status=401)
        body, content_type = exposition()
        return response.raw(body, content_type=content_type)

    @app.get("/actions")
    async def actions(_: Request) -> HTTPResponse:
        return response.json([{"name": name} for name in executor.actions])

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        if request.headers.get("Content-Encoding") == "deflate":
            # Rasa compresses its calls when COMPRESS_ACTION_SERVER_REQUEST is set.
            call = json.loads(zlib.decompress(request.body))
        else:
            call = request.json
        call = call if isinstance(call, dict) else None
        if call is None or not isinstance(call.get("tracker"), dict):
            return response.json({"error": "expected an action call"}, status=400)
        try:
            result = await executor.run(call)
        except ActionExecutionRejection as rejection:
            return response.json(
                {"error": rejection.message, "action_name": rejection.action_name}, status=400
            )
        except ActionNotFoundException as missing:
            return response.json(
                {"error": missing.message, "action_name": missing.action_name}, status=404
            )
        return response.json(result)

    def failed(request: Request, exception: Exception) -> HTTPResponse:
        log.error("action server error on %s: %s", request.path, type(exception).__name__)
        return response.json({"error": "action server error"}, status=500)

    app.error_handler.add(Exception, failed)

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # No log line, traceback included, writes a phone or ID number in clear (issue 14).
    redact_logs("sanic.root", "sanic.error", "sanic.access")
    settings = get_settings()
    token = settings.server_token.get_secret_value()
    if not token:
        raise SystemExit(
            "LINLI_ACTIONS_SERVER_TOKEN is not set: the action server refuses to run open "
            "(`make run` writes one to var/linli.env)"
        )
    # Files the action server writes under var/ (the outbox, its key) are the owner's alone.
    os.umask(0o077)
    app = create_app(token, settings=settings)
    log.info("action server on http://%s:%s", settings.host, settings.port)
    app.run(settings.host, settings.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
