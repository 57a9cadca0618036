"""Issue 14, finding 9: the action server's outbox (actions/outbox.py) against the real backend.

Before the fix a write was stored only after it failed (a crash mid-request lost it), a 4xx
during a flush deleted it after the resident was told it was kept, the first undeliverable
row blocked every row behind it, two flushers sent the same rows, and payloads sat in clear.

The action code runs in the Rasa virtualenv: the writes and flushes here are real
`BackendClient` calls in a child process (tests/security/outbox_driver.py), or the real action
server's background flusher. Between them and the real backend sits a small forwarding proxy
that can refuse (503), hold or slow a path, and counts what reaches the backend.
"""

import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from testsupport.servers import (
    PROJECT_ROOT,
    RASA_PYTHON,
    Backend,
    backend_server,
    free_port,
    running,
    staff_client,
)

PHONE = "13912345678"
ADDRESS = "幸福小区8号楼302"


@dataclass
class ProxyControl:
    """What the proxy does to a request whose path starts with one of these prefixes."""

    failing: set[str] = field(default_factory=set)  # answer 503, forward nothing
    holding: set[str] = field(default_factory=set)  # keep the client waiting, forward nothing
    delay_s: float = 0.0
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    # (path, Idempotency-Key) of every POST that reached the backend, and a wake-up per path.
    forwarded: list[tuple[str, str]] = field(default_factory=list)
    arrivals: dict[str, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arrived(self, path: str) -> threading.Event:
        with self.lock:
            return self.arrivals.setdefault(path, threading.Event())

    def sends_of(self, path: str) -> Counter[str]:
        with self.lock:
            return Counter(key for sent, key in self.forwarded if sent == path)


@dataclass(frozen=True)
class Proxy:
    url: str
    control: ProxyControl


def _handler(backend_url: str, control: ProxyControl) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except BrokenPipeError:
                pass  # the client was killed on purpose

        def _forward(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            api_path = self.path.split("?")[0].removeprefix("/api/v1")
            if any(api_path.startswith(prefix) for prefix in control.holding):
                control.held.set()
                control.release.wait(60)
                self._answer(503, b'{"detail": "held"}', "application/json")
                return
            if any(api_path.startswith(prefix) for prefix in control.failing):
                self._answer(503, b'{"detail": "down"}', "application/json")
                return
            if control.delay_s:
                control.release.wait(control.delay_s)  # never set here: a plain pause
            headers = {
                name: value
                for name, value in self.headers.items()
                if name.lower() in ("x-api-key", "idempotency-key", "content-type", "authorization")
            }
            answer = httpx.request(
                method, backend_url + self.path, content=body, headers=headers, timeout=30
            )
            if method == "POST":
                with control.lock:
                    control.forwarded.append((api_path, self.headers.get("Idempotency-Key", "")))
            self._answer(answer.status_code, answer.content, "application/json")
            control.arrived(api_path).set()

        def do_GET(self) -> None:
            self._forward("GET")

        def do_POST(self) -> None:
            self._forward("POST")

    return Forward


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with backend_server(tmp_path_factory.mktemp("outbox-backend")) as server:
        yield server


@pytest.fixture
def proxy(backend: Backend) -> Iterator[Proxy]:
    control = ProxyControl()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(backend.url, control))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Proxy(f"http://127.0.0.1:{server.server_address[1]}", control)
    finally:
        control.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.db"


@pytest.fixture
def action_env(proxy: Proxy, backend: Backend, outbox_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LINLI_ACTIONS_BACKEND_URL": proxy.url,
        "LINLI_ACTIONS_BACKEND_API_KEY": backend.api_key,
        "LINLI_ACTIONS_OUTBOX_PATH": str(outbox_path),
        "LINLI_ACTIONS_OUTBOX_KEY": Fernet.generate_key().decode(),
        "LINLI_ACTIONS_BACKEND_TIMEOUT_S": "1",
        "LINLI_ACTIONS_OUTBOX_FLUSH_INTERVAL_S": "0.5",
    }


def driver(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(RASA_PYTHON), "-m", "tests.security.outbox_driver", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def write(env: dict[str, str], method: str, payload: dict[str, Any]) -> str:
    process = driver(env, "write", method, json.dumps(payload, ensure_ascii=False))
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    result: str = json.loads(out.splitlines()[-1])["result"]
    return result


def feedback(sender: str, **extra: Any) -> dict[str, Any]:
    return {
        "channel": "chat",
        "sender_id": sender,
        "text": f"{sender}：师傅很好，电话{PHONE}，住{ADDRESS}",
        **extra,
    }


def outbox_emptied(outbox_path: Path, timeout_s: float = 30) -> bool:
    """Whether the outbox has no pending row within `timeout_s`: the flusher deletes a row
    just after the backend's answer, which the proxy has already passed on."""
    deadline = time.monotonic() + timeout_s
    while pending_rows(outbox_path):
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.1)
    return True


def pending_rows(outbox_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(outbox_path) as connection:
        return connection.execute(
            "SELECT path, idempotency_key, attempts, next_attempt_at FROM pending ORDER BY id"
        ).fetchall()


def test_the_row_is_stored_before_the_send_and_a_crash_loses_nothing(
    proxy: Proxy, action_env: dict[str, str], outbox_path: Path, backend: Backend,
    tmp_path: Path,
) -> None:  # fmt: skip
    proxy.control.holding.add("/feedback")
    writer = driver(action_env, "write", "create_feedback", json.dumps(feedback("crash-1")))
    assert proxy.control.held.wait(60), "the write never reached the backend"
    # Mid-request: the write is already in the outbox (the old code stored it only on failure).
    assert outbox_path.exists() and len(pending_rows(outbox_path)) == 1
    writer.send_signal(signal.SIGKILL)  # the action server dies before any answer
    writer.wait()
    proxy.control.release.set()
    proxy.control.holding.clear()

    delivered = proxy.control.arrived("/feedback")
    port = free_port()
    env = {**action_env, "LINLI_ACTIONS_PORT": str(port), "LINLI_ACTIONS_SERVER_TOKEN": "t" * 24}
    command = [str(RASA_PYTHON), "-m", "actions.server"]
    with running("actions", command, env, f"http://127.0.0.1:{port}/health", tmp_path, 90):
        # Once the dead writer's claim has expired, the background flusher sends the row.
        assert delivered.wait(60), "the background flusher did not send the kept write"
        assert outbox_emptied(outbox_path)
    with staff_client(backend) as staff:
        texts = [item["text"] for item in staff.get("/feedback", params={"limit": 500}).json()]
    assert sum("crash-1" in text for text in texts) == 1


def test_a_refused_write_becomes_a_dead_letter_workers_see(
    proxy: Proxy, action_env: dict[str, str], outbox_path: Path, backend: Backend,
    tmp_path: Path,
) -> None:  # fmt: skip
    proxy.control.failing.add("/")
    # Rating 9 is out of range: the backend will refuse it once it is reachable.
    assert write(action_env, "create_feedback", feedback("dead-1", rating=9)) == "queued"
    proxy.control.failing.clear()

    reported = proxy.control.arrived("/dead-letters")
    port = free_port()
    env = {**action_env, "LINLI_ACTIONS_PORT": str(port), "LINLI_ACTIONS_SERVER_TOKEN": "t" * 24}
    command = [str(RASA_PYTHON), "-m", "actions.server"]
    with running("actions", command, env, f"http://127.0.0.1:{port}/health", tmp_path, 90):
        assert reported.wait(60), "the refused write was not reported to the backend"
    assert pending_rows(outbox_path) == []  # moved to dead_letters before it was reported
    with staff_client(backend) as staff:
        letters = staff.get("/dead-letters").json()
    letter = next(item for item in letters if "dead-1" in item["summary"])
    assert letter["path"] == "/feedback" and letter["status_code"] == 422
    # The summary names the fields; the resident's words (and phone) are not in it.
    assert PHONE not in json.dumps(letter, ensure_ascii=False)
    # And on the worker console, where social workers see what to follow up.
    with httpx.Client(base_url=backend.url, timeout=10, follow_redirects=False) as browser:
        page = browser.get("/console/login").text
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
        login = {"username": backend.admin_username, "password": backend.admin_password}
        logged_in = browser.post(
            "/console/login", data={**hidden, **login}, headers={"Origin": backend.url}
        )
        assert logged_in.status_code == 303, logged_in.text
        console = browser.get("/console/dead-letters")
    assert console.status_code == 200 and letter["idempotency_key"] in console.text
    assert PHONE not in console.text
    with sqlite3.connect(outbox_path) as connection:
        kept = connection.execute("SELECT status_code FROM dead_letters").fetchall()
    assert kept == [(422,)]  # kept, encrypted (reporting again is harmless: one per key)


def test_a_row_that_keeps_failing_does_not_block_the_rows_behind_it(
    proxy: Proxy, action_env: dict[str, str], outbox_path: Path
) -> None:
    proxy.control.failing.add("/")
    poison = {"channel": "chat", "sender_id": "poison-1", "reason": "requested"}
    assert write(action_env, "create_handoff", poison) == "queued"
    for sender in ("behind-1", "behind-2"):
        assert write(action_env, "create_feedback", feedback(sender)) == "queued"
    # The backend is back, but the first row's path still fails.
    proxy.control.failing = {"/handoffs"}
    flusher = driver(action_env, "flush")
    assert flusher.stdout is not None and flusher.stdout.readline().strip() == "ready"
    out, _ = flusher.communicate("go\n", timeout=60)
    assert json.loads(out.splitlines()[-1]) == {"done": 2}
    assert len(proxy.control.sends_of("/feedback")) == 2
    ((path, _key, attempts, next_attempt_at),) = pending_rows(outbox_path)
    assert path == "/handoffs" and attempts == 2  # the write-through try and the flush
    assert next_attempt_at > time.time()  # backed off, alone


def test_two_flushers_never_send_the_same_row(
    proxy: Proxy, action_env: dict[str, str], outbox_path: Path
) -> None:
    proxy.control.failing.add("/")
    for number in range(6):
        assert write(action_env, "create_feedback", feedback(f"twice-{number}")) == "queued"
    keys = {key for _path, key, _attempts, _at in pending_rows(outbox_path)}
    proxy.control.failing.clear()
    proxy.control.delay_s = 0.2  # the two flushes overlap
    flushers = [driver(action_env, "flush"), driver(action_env, "flush")]
    for flusher in flushers:
        assert flusher.stdout is not None and flusher.stdout.readline().strip() == "ready"
    for flusher in flushers:
        assert flusher.stdin is not None
        flusher.stdin.write("go\n")
        flusher.stdin.flush()
    done = []
    for flusher in flushers:
        out, _ = flusher.communicate(timeout=60)
        done.append(json.loads(out.splitlines()[-1])["done"])
    sends = proxy.control.sends_of("/feedback")
    assert set(sends) == keys and set(sends.values()) == {1}, sends
    assert sum(done) == 6 and pending_rows(outbox_path) == []


def test_the_outbox_keeps_payloads_encrypted_in_a_private_file(
    proxy: Proxy, action_env: dict[str, str], outbox_path: Path
) -> None:
    proxy.control.failing.add("/")
    booking = {
        "channel": "chat",
        "sender_id": "clear-1",
        "service_code": "zhucan",
        "address": ADDRESS,
        "phone": PHONE,
        "scheduled_at": "2030-01-02T12:00:00+08:00",
        "time_text": "明天中午",
    }
    assert write(action_env, "create_booking", booking) == "queued"
    stored = b"".join(path.read_bytes() for path in outbox_path.parent.glob(outbox_path.name + "*"))
    assert PHONE.encode() not in stored
    assert ADDRESS.encode() not in stored
    assert "幸福小区".encode() not in stored
    assert outbox_path.stat().st_mode & 0o777 == 0o600
    # The payload is there, readable with the configured key only.
    key = action_env["LINLI_ACTIONS_OUTBOX_KEY"].encode()
    with sqlite3.connect(outbox_path) as connection:
        (token,) = connection.execute("SELECT payload_encrypted FROM pending").fetchone()
    assert json.loads(Fernet(key).decrypt(token.encode()))["phone"] == PHONE


def test_without_the_outbox_nothing_is_promised_as_kept(
    proxy: Proxy, action_env: dict[str, str], tmp_path: Path
) -> None:
    # The outbox cannot be written (its directory is a file) and the backend is down: the
    # write must not come back as "queued", which the actions tell the resident as kept.
    blocker = tmp_path / "blocked"
    blocker.write_text("")
    env = {**action_env, "LINLI_ACTIONS_OUTBOX_PATH": str(blocker / "outbox.db")}
    proxy.control.failing.add("/")
    process = driver(env, "write", "create_feedback", json.dumps(feedback("nowhere-1")))
    out, _ = process.communicate(timeout=60)
    assert "queued" not in out
    assert process.returncode != 0 or json.loads(out.splitlines()[-1])["result"] != "queued"


def test_dead_letter_reports_need_a_key_and_are_stored_once(backend: Backend) -> None:
    report = {
        "path": "/bookings",
        "status_code": 422,
        "detail": f"phone {PHONE} is not valid",
        "summary": "POST /bookings channel=chat sender_id=once-1",
        "idempotency_key": "dead-once-1",
    }
    with httpx.Client(base_url=f"{backend.url}/api/v1", timeout=10) as client:
        assert client.post("/dead-letters", json=report).status_code == 401
        headers = {"X-API-Key": backend.api_key}
        first = client.post("/dead-letters", json=report, headers=headers)
        again = client.post("/dead-letters", json=report, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert PHONE not in first.json()["detail"]
        assert client.get("/dead-letters", headers=headers).status_code == 403
