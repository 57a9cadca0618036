"""A throwaway Redis server for tests: Debian's redis-server on a free loopback port, with a
password, nothing written to disk, stopped when the block ends."""

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testsupport.servers import free_port


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int
    password: str
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@{self.host}:{self.port}/0"


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def _ping(port: int, password: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            reply = b""
            while b"PONG" not in reply and len(reply) < 200:
                chunk = sock.recv(100)
                if not chunk:
                    break
                reply += chunk
            return b"PONG" in reply
    except OSError:
        return False


@contextmanager
def redis_server(
    tmp_dir: Path, port: int | None = None, timeout: float = 15
) -> Iterator[RedisServer]:
    """Start redis-server, yield where it listens, stop it. `port` lets a test restart a
    server on the address its clients already know."""
    port = port or free_port()
    password = secrets.token_urlsafe(16)
    command = [
        "redis-server", "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password,
        "--save", "", "--appendonly", "no", "--dir", str(tmp_dir),
    ]  # fmt: skip
    log = (tmp_dir / f"redis-{port}.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _ping(port, password):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield RedisServer("127.0.0.1", port, password, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
