"""A stand-in for the Telegram Bot API: a real HTTP server on loopback that PTB's `base_url`
and `base_file_url` point at. It hands out updates that tests push, records every call the
bot makes, and serves the files of voice notes.

Tests wait on events, never for time to pass: every recorded call and every update the bot
reports handled (`mark_handled`, from a last handler the tests add) notifies one condition."""

import contextlib
import email.parser
import email.policy
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_ID = 7000000001
BOT_USERNAME = "linli_test_bot"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


class TelegramStandIn:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self._updates: list[dict[str, Any]] = []
        self._handled: set[int] = set()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/file/bot"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- what tests do

    def push(self, update: dict[str, Any]) -> int:
        with self._changed:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **update})
            self._changed.notify_all()
        return update_id

    def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 30, what: str = ""
    ) -> None:
        """Until `predicate(calls)` holds: checked again each time the bot calls the API."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    sent = [(c.method, c.params.get("text")) for c in self.calls[-15:]]
                    raise AssertionError(f"timed out waiting for {what or predicate}: {sent}")
                self._changed.wait(left)

    def mark_handled(self, update_id: int) -> None:
        """The bot has run its handler (and any error handler) for this update."""
        with self._changed:
            self._handled.add(update_id)
            self._changed.notify_all()

    def wait_handled(self, *update_ids: int, timeout: float = 30) -> None:
        """Until the bot has handled these updates: every reply to them is recorded by then."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._handled.issuperset(update_ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    sent = [(c.method, c.params.get("text")) for c in self.calls[-15:]]
                    missing = sorted(set(update_ids) - self._handled)
                    raise AssertionError(f"updates {missing} not handled in {timeout} s: {sent}")
                self._changed.wait(left)

    def calls_since(self, start: int, method: str | None = None) -> list[Call]:
        with self._changed:
            return [c for c in self.calls[start:] if method is None or c.method == method]

    def new_message_id(self) -> int:
        return next(self._message_ids)

    # --- the API

    def _record(self, call: Call) -> Any:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return self._answer(call)

    def _answer(self, call: Call) -> Any:
        params = call.params
        if call.method == "getMe":
            return {
                "id": BOT_ID, "is_bot": True, "first_name": "邻里通",
                "username": BOT_USERNAME, "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
            }  # fmt: skip
        if call.method in {"sendMessage", "sendVoice", "sendPhoto"}:
            message: dict[str, Any] = {
                "message_id": self.new_message_id(),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "邻里通"},
            }
            if call.method == "sendMessage":
                message["text"] = params.get("text", "")
            if call.method == "sendVoice":
                message["voice"] = {"file_id": "sent-voice", "file_unique_id": "sv", "duration": 1}
            if call.method == "sendPhoto":
                message["photo"] = [
                    {"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}
                ]
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup  # messages carry only inline keyboards
            return message
        if call.method in {"editMessageText", "editMessageReplyMarkup"}:
            return {
                "message_id": int(params.get("message_id", 0)),
                "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "text": params.get("text", ""),
            }
        if call.method == "getFile":
            file_id = str(params["file_id"])
            return {
                "file_id": file_id, "file_unique_id": file_id,
                "file_size": len(self.files.get(file_id, b"")),
                "file_path": f"voice/{file_id}.oga",
            }  # fmt: skip
        if call.method == "getMyCommands":
            return []
        if call.method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        # answerCallbackQuery, sendChatAction, setMyCommands, setWebhook, deleteWebhook, ...
        return True

    def _updates_after(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + min(timeout, 5)
        with self._changed:
            # Like Telegram: an offset confirms the updates before it, which are then gone (a
            # restarted bot does not get them again).
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in self._updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    return ready
                self._changed.wait(left)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The bot may hang up a long poll while shutting down.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_GET(self) -> None:
                prefix = f"/file/bot{standin.token}/voice/"
                path = urllib.parse.unquote(self.path)  # httpx sends the token's ":" as %3A
                if path.startswith(prefix):
                    file_id = path[len(prefix) :].removesuffix(".oga")
                    if file_id in standin.files:
                        self._reply(200, standin.files[file_id], "audio/ogg")
                        return
                self._reply(404, f"not found: {self.path}".encode(), "text/plain")

            def do_POST(self) -> None:
                prefix = f"/bot{standin.token}/"
                if not self.path.startswith(prefix):
                    refusal = b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
                    self._reply(401, refusal, "application/json")
                    return
                method = self.path[len(prefix) :]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params, files = parse_body(self.headers.get("Content-Type", ""), body)
                if method == "getUpdates":
                    offset = int(params.get("offset") or 0)
                    result: Any = standin._updates_after(offset, float(params.get("timeout") or 0))
                else:
                    result = standin._record(Call(method, params, files))
                payload = json.dumps({"ok": True, "result": result}).encode()
                self._reply(200, payload, "application/json")

        return Handler


def _value(raw: str) -> Any:
    if raw[:1] in "[{":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """PTB sends JSON, form fields, or multipart when it uploads a file."""
    if not body:
        return {}, {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body)), {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if part.get_filename() is not None:
                files[str(name)] = data
            else:
                params[str(name)] = _value(data.decode())
        return params, files
    fields = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
    return {name: _value(values[-1]) for name, values in fields.items()}, {}


@contextmanager
def telegram_standin(token: str) -> Iterator[TelegramStandIn]:
    standin = TelegramStandIn(token)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()
