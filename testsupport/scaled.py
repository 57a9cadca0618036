"""The scaled profile for tests: `scripts/scaled.py run` itself (PostgreSQL, Redis, HAProxy, two
Rasa servers, two action servers, the backend with two workers, all under supervisord), on free
loopback ports in a temporary folder, with fresh secrets. The tests stop, kill and start its
parts through supervisord, as an operator would."""

import base64
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from common.fronts import FRONT_KEY_HEADER, REST_KEY_VARIABLES, Front
from testsupport.servers import APP_PYTHON, PROJECT_ROOT, Backend, free_port

SCALED = PROJECT_ROOT / "scripts" / "scaled.py"


def scaled_available() -> bool:
    return all(shutil.which(tool) for tool in ("redis-server", "haproxy")) and any(
        Path("/usr/lib/postgresql").glob("*/bin/postgres")
    )


@dataclass
class ScaledStack:
    run_dir: Path
    env_file: Path
    rasa_url: str  # the load balancer
    replica_urls: list[str]
    backend: Backend
    rasa_token: str
    metrics_token: str
    front_keys: dict[str, str]
    process: subprocess.Popen[bytes]

    def env(self, name: str) -> str:
        """A setting of the profile, as its env file holds it."""
        for line in self.env_file.read_text().splitlines():
            if line.startswith(f"{name}="):
                return line.split("=", 1)[1]
        return ""

    def redis(self, *command: str) -> str:
        """One command to the profile's Redis (redis-cli), its reply as text."""
        done = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", self.env("LINLI_SCALED_REDIS_PORT"),
             "--no-auth-warning", "-a", self.env("LINLI_SCALED_REDIS_PASSWORD"), *command],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    def front_headers(self, front: str = Front.rest) -> dict[str, str]:
        return {FRONT_KEY_HEADER: self.front_keys[front]}

    def ctl(self, *args: str) -> str:
        """supervisorctl: `status`, `stop rasa-1`, `start redis`, `signal KILL backend` …"""
        done = subprocess.run(
            [str(APP_PYTHON), str(SCALED), "ctl", "--dir", str(self.run_dir),
             "--env-file", str(self.env_file), *args],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return done.stdout + done.stderr

    def wait_until_up(self, url: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited:\n{self.logs()}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(f"{url} not up after {timeout:.0f} s:\n{self.logs()}")

    def logs(self, name: str = "", tail: int | None = 3000) -> str:
        """The logs of one program (or all), each cut to its last `tail` characters."""
        paths = [self.run_dir / "logs" / f"{name}.log"] if name else sorted(
            (self.run_dir / "logs").glob("*.log")
        )  # fmt: skip
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-(tail or 0) :]}"
            for path in paths
            if path.exists()
        )


def _env_file(path: Path, ports: dict[str, int], rasa_replicas: int) -> dict[str, str]:
    action_key = "lk_test_" + secrets.token_urlsafe(16)
    settings = {
        "LINLI_API_SECRET_KEY": secrets.token_urlsafe(32),
        "LINLI_API_FIRST_STAFF_USERNAME": "admin",
        "LINLI_API_FIRST_STAFF_PASSWORD": secrets.token_urlsafe(12),
        "LINLI_API_ACTION_SERVER_API_KEY": action_key,
        "LINLI_ACTIONS_BACKEND_API_KEY": action_key,
        "LINLI_API_ID_NUMBER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LINLI_ACTIONS_OUTBOX_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LINLI_RASA_AUTH_TOKEN": "rt_" + secrets.token_urlsafe(24),
        "LINLI_ACTIONS_SERVER_TOKEN": secrets.token_urlsafe(24),
        "LINLI_METRICS_TOKEN": secrets.token_urlsafe(24),
        **{variable: f"rk_test_{front}_" + secrets.token_urlsafe(16)
           for front, variable in REST_KEY_VARIABLES.items()},
        "LINLI_SCALED_VOICE": "0",
        "LINLI_SCALED_TELEGRAM": "0",
        "LINLI_SCALED_RASA_PORT": str(ports["rasa"]),
        "LINLI_SCALED_ACTIONS_PORT": str(ports["actions"]),
        "LINLI_SCALED_BACKEND_PORT": str(ports["backend"]),
        "LINLI_SCALED_POSTGRES_PORT": str(ports["postgres"]),
        "LINLI_SCALED_REDIS_PORT": str(ports["redis"]),
        "LINLI_SCALED_RASA_REPLICA_PORTS_FROM": str(ports["rasa_replicas"]),
        "LINLI_SCALED_RASA_REPLICAS": str(rasa_replicas),
        "LINLI_SCALED_ACTION_REPLICA_PORTS_FROM": str(ports["action_replicas"]),
    }  # fmt: skip
    path.touch(mode=0o600)
    path.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    return settings


def _consecutive_free_ports(count: int) -> int:
    """The first of `count` free consecutive ports (replicas take ports in a row)."""
    for _ in range(50):
        first = free_port()
        if first + count < 65535 and all(_free(first + offset) for offset in range(count)):
            return first
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def scaled_stack(tmp_dir: Path, rasa_replicas: int = 2) -> Iterator[ScaledStack]:
    run_dir, env_file = tmp_dir / "scaled", tmp_dir / "scaled.env"
    ports = {name: free_port() for name in ("rasa", "actions", "backend", "postgres", "redis")}
    ports["rasa_replicas"] = _consecutive_free_ports(rasa_replicas)
    ports["action_replicas"] = _consecutive_free_ports(2)
    settings = _env_file(env_file, ports, rasa_replicas)
    log = (tmp_dir / "scaled-run.log").open("wb")
    process = subprocess.Popen(
        [str(APP_PYTHON), str(SCALED), "run", "--dir", str(run_dir), "--env-file", str(env_file)],
        cwd=PROJECT_ROOT, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    backend = Backend(
        url=f"http://127.0.0.1:{ports['backend']}",
        api_key=settings["LINLI_API_ACTION_SERVER_API_KEY"],
        admin_username="admin",
        admin_password=settings["LINLI_API_FIRST_STAFF_PASSWORD"],
    )
    stack = ScaledStack(
        run_dir=run_dir, env_file=env_file, rasa_url=f"http://127.0.0.1:{ports['rasa']}",
        replica_urls=[
            f"http://127.0.0.1:{ports['rasa_replicas'] + i}" for i in range(rasa_replicas)
        ],
        backend=backend, rasa_token=settings["LINLI_RASA_AUTH_TOKEN"],
        metrics_token=settings["LINLI_METRICS_TOKEN"],
        front_keys={
            front.value: settings[variable] for front, variable in REST_KEY_VARIABLES.items()
        },
        process=process,
    )  # fmt: skip
    try:
        for url in [*stack.replica_urls, stack.rasa_url, f"{backend.url}/health"]:
            stack.wait_until_up(url)
        yield stack
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        _remove_postgres_data(run_dir)


def _remove_postgres_data(run_dir: Path) -> None:
    """PostgreSQL's files live outside the temporary folder when run as root (see scaled.py)."""
    if os.geteuid() != 0:
        return
    import hashlib
    import pwd

    home = Path(pwd.getpwnam("postgres").pw_dir)
    tag = hashlib.sha256(str(run_dir.resolve()).encode()).hexdigest()[:12]
    shutil.rmtree(home / f"linli-{tag}", ignore_errors=True)
