"""Start the project's real servers for tests. Standard library and httpx only: the action tests
run in the Rasa virtualenv and the end-to-end and voice tests in the app virtualenv, and both
have these."""

import base64
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from common.fronts import FRONT_KEY_HEADER, REST_KEY_VARIABLES, Front

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = PROJECT_ROOT / ".venvs" / "app" / "bin" / "python"
RASA_PYTHON = PROJECT_ROOT / ".venvs" / "rasa" / "bin" / "python"
MODEL = PROJECT_ROOT / "models" / "linli.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url}: server exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"{url}: not up after {timeout:.0f} s:\n{log.read_text()[-4000:]}")


@contextmanager
def started(
    name: str, command: list[str], env: dict[str, str], log_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, its output in `log_dir/<name>.log`, stopped on exit."""
    with (log_dir / f"{name}.log").open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running(
    name: str, command: list[str], env: dict[str, str], health_url: str, log_dir: Path,
    timeout: float = 60,
) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """`started`, once `health_url` answers."""
    with started(name, command, env, log_dir) as process:
        wait_for_http(health_url, process, log_dir / f"{name}.log", timeout)
        yield process


@dataclass(frozen=True)
class Backend:
    url: str
    # The action server's key (front `actions`).
    api_key: str
    admin_username: str
    admin_password: str
    # The other fronts' own keys (api/auth/fronts.py).
    voice_api_key: str = ""
    telegram_api_key: str = ""
    wechat_api_key: str = ""
    # Its database, for tests that move time (a call falls due) as a clock would.
    database_url: str = ""


@contextmanager
def staff_client(backend: Backend) -> Iterator[httpx.Client]:
    """An HTTP client on the backend's API, logged in as the embedded default staff account."""
    with httpx.Client(base_url=f"{backend.url}/api/v1", timeout=10) as client:
        token = client.post(
            "/login/access-token",
            data={"username": backend.admin_username, "password": backend.admin_password},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _secrets(tmp_dir: Path, names: tuple[str, ...]) -> dict[str, str]:
    """Random secrets for servers whose files live in `tmp_dir`, kept there: servers started
    again on the same files (a restart test) get the same keys, as `make run` reads
    var/linli.env again."""
    path = tmp_dir / "secrets.json"
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for name in names:
        if name not in known:
            known[name] = (
                base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
                if name.endswith("_fernet")
                else f"{name}_" + secrets.token_urlsafe(32)
            )
    path.write_text(json.dumps(known))
    return known


@contextmanager
def backend_server(
    tmp_dir: Path, port: int | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[Backend]:
    """A real backend (uvicorn, SQLite in `tmp_dir`), migrated and seeded like `make run`."""
    port = port or free_port()
    keys = _secrets(
        tmp_dir,
        ("lk_test", "lk_test_voice", "lk_test_tg", "lk_test_wx", "password", "secret", "id_fernet"),
    )
    api_key, voice_api_key, telegram_api_key, wechat_api_key = (
        keys["lk_test"],
        keys["lk_test_voice"],
        keys["lk_test_tg"],
        keys["lk_test_wx"],
    )
    password = keys["password"]
    database_url = f"sqlite:///{tmp_dir / 'linli.db'}"
    env = {
        **os.environ,
        "LINLI_API_DATABASE_URL": database_url,
        "LINLI_API_SECRET_KEY": keys["secret"],
        "LINLI_API_FIRST_STAFF_USERNAME": "admin",
        "LINLI_API_FIRST_STAFF_PASSWORD": password,
        "LINLI_API_ACTION_SERVER_API_KEY": api_key,
        "LINLI_API_VOICE_API_KEY": voice_api_key,
        "LINLI_API_TELEGRAM_API_KEY": telegram_api_key,
        "LINLI_API_WECHAT_API_KEY": wechat_api_key,
        # A Fernet key: url-safe base64 of 32 random bytes.
        "LINLI_API_ID_NUMBER_KEY": keys["id_fernet"],
        **(extra_env or {}),
    }
    subprocess.run([str(APP_PYTHON), "-m", "api.prestart"], cwd=PROJECT_ROOT, env=env, check=True)
    command = [
        str(APP_PYTHON), "-m", "uvicorn", "api.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running("backend", command, env, f"{url}/health", tmp_dir):
        yield Backend(
            url=url, api_key=api_key, admin_username="admin", admin_password=password,
            voice_api_key=voice_api_key, telegram_api_key=telegram_api_key,
            wechat_api_key=wechat_api_key, database_url=database_url,
        )  # fmt: skip


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    backend: Backend
    # Rasa's HTTP API token (`?token=`), and each front's REST channel key by front name.
    rasa_token: str = ""
    front_keys: dict[str, str] = field(default_factory=dict)
    # The action server and the token only the Rasa server is meant to hold.
    actions_url: str = ""
    actions_token: str = ""

    def front_headers(self, front: str = Front.rest) -> dict[str, str]:
        """The headers a front posts to the REST channel with (`rest`: a plain REST client)."""
        return {FRONT_KEY_HEADER: self.front_keys.get(front, "")}


@contextmanager
def rasa_stack(tmp_dir: Path) -> Iterator[Stack]:
    """The real backend, action server and Rasa server (models/linli.tar.gz) on free ports.
    Started again on the same `tmp_dir`, it has the same databases, outbox and keys."""
    actions_port, rasa_port = free_port(), free_port()
    keys = _secrets(
        tmp_dir, ("actions_token", "rasa_token", *(f"rk_test_{front}" for front in Front))
    )
    actions_token, rasa_token = keys["actions_token"], keys["rasa_token"]
    front_keys = {front.value: keys[f"rk_test_{front}"] for front in Front}
    front_key_env = {REST_KEY_VARIABLES[front]: front_keys[front] for front in Front}
    endpoints = tmp_dir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        f'  token: "{actions_token}"\n'
        # As bot/endpoints.yml: trackers redacted before they are stored or served, and kept
        # in SQLite, so a stack started again on `tmp_dir` knows every conversation.
        "tracker_store:\n  type: bot.tracker_store.RedactingTrackerStore\n"
        "  inner:\n    type: bot.tracker_store.AppendingSQLTrackerStore\n"
        f"    dialect: sqlite\n    db: {tmp_dir / 'trackers.db'}\n"
    )
    # The backend's host console asks this Rasa server, with its own front key.
    rasa_env = {
        "LINLI_API_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "LINLI_API_RASA_KEY": front_keys[Front.host],
    }
    rasa = [
        str(RASA_PYTHON), "-m", "bot.serve", "run", "--enable-api",
        f"--auth-token={rasa_token}", "--model", str(MODEL),
        "--endpoints", str(endpoints),
        "--credentials", str(PROJECT_ROOT / "bot" / "credentials.yml"),
        "--port", str(rasa_port), "--interface", "127.0.0.1",
    ]  # fmt: skip
    # Rasa loads its model while the backend and the action server start, as under `make run`:
    # it asks neither of them anything until a resident writes.
    quiet = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    # The REST channel knows every front's key (bot/rest_channel.py).
    rasa_process_env = {**quiet, **front_key_env}
    with (
        started("rasa", rasa, rasa_process_env, tmp_dir) as rasa_process,
        backend_server(tmp_dir, extra_env=rasa_env) as backend,
    ):
        env = {
            **quiet,
            "LINLI_ACTIONS_BACKEND_URL": backend.url,
            "LINLI_ACTIONS_BACKEND_API_KEY": backend.api_key,
            "LINLI_ACTIONS_OUTBOX_PATH": str(tmp_dir / "outbox.db"),
            "LINLI_ACTIONS_PORT": str(actions_port),
            "LINLI_ACTIONS_SERVER_TOKEN": actions_token,
        }
        actions = [str(RASA_PYTHON), "-m", "actions.server"]
        with running("actions", actions, env, f"http://127.0.0.1:{actions_port}/health", tmp_dir):
            # `/` answers without the token once the model is loaded; /status needs it.
            wait_for_http(f"http://127.0.0.1:{rasa_port}/", rasa_process, tmp_dir / "rasa.log", 240)
            yield Stack(
                rasa_url=f"http://127.0.0.1:{rasa_port}", backend=backend,
                rasa_token=rasa_token, front_keys=front_keys,
                actions_url=f"http://127.0.0.1:{actions_port}", actions_token=actions_token,
            )  # fmt: skip
