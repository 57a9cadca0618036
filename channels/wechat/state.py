"""What every replica of the WeChat front shares: the access tokens, the callbacks already
answered and each resident's small chat state (numbered choices, voice replies, a binding in
progress). A SQLite file on the embedded default, Redis in the scaled profile.

Values are short strings; nothing here holds a phone or ID number."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

import filelock
import redis

SQLITE_PREFIX = "sqlite:///"
# Longer than any token fetch (WeChat answers in well under a second).
LOCK_TIMEOUT_S = 30


class SharedState(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None: ...

    def delete(self, key: str) -> None: ...

    def claim(self, key: str, ttl_s: float, value: str = "1") -> bool:
        """True for the first caller in `ttl_s` (across replicas), False for every later one;
        the first caller's `value` is stored."""
        ...

    def lock(self, name: str) -> AbstractContextManager[None]:
        """Held by one replica at a time."""
        ...


class SqliteState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS shared (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                "expires_at REAL)"
            )

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One connection per thread (the token client runs in worker threads).
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=10, isolation_level=None)
            self._local.db = db
        yield db

    def get(self, key: str) -> str | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT value FROM shared WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (key, time.time()),
            ).fetchone()
        return str(row[0]) if row else None

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        expires_at = time.time() + ttl_s if ttl_s is not None else None
        with self._connection() as db:
            db.execute(
                "INSERT INTO shared (key, value, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "expires_at = excluded.expires_at",
                (key, value, expires_at),
            )

    def delete(self, key: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM shared WHERE key = ?", (key,))

    def claim(self, key: str, ttl_s: float, value: str = "1") -> bool:
        now = time.time()
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "DELETE FROM shared WHERE key = ? AND expires_at <= ?",
                    (key, now),
                )
                inserted = db.execute(
                    "INSERT OR IGNORE INTO shared (key, value, expires_at) VALUES (?, ?, ?)",
                    (key, value, now + ttl_s),
                ).rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return inserted == 1

    def lock(self, name: str) -> AbstractContextManager[None]:
        return _file_lock(self._path.with_name(f"{self._path.name}.{name}.lock"))

    def purge_expired(self) -> None:
        with self._connection() as db:
            db.execute(
                "DELETE FROM shared WHERE expires_at IS NOT NULL AND expires_at <= ?",
                (time.time(),),
            )


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with filelock.FileLock(path, timeout=LOCK_TIMEOUT_S):
        yield


class RedisState:
    def __init__(self, url: str, prefix: str = "linli:wechat:") -> None:
        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix

    def get(self, key: str) -> str | None:
        value = self._redis.get(self._prefix + key)
        return str(value) if value is not None else None

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self._redis.set(self._prefix + key, value, px=int(ttl_s * 1000) if ttl_s else None)

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)

    def claim(self, key: str, ttl_s: float, value: str = "1") -> bool:
        return bool(self._redis.set(self._prefix + key, value, nx=True, px=int(ttl_s * 1000)))

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        with self._redis.lock(
            self._prefix + "lock:" + name, timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_TIMEOUT_S
        ):
            yield


def open_state(url: str) -> SharedState:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisState(url)
    if url.startswith(SQLITE_PREFIX):
        return SqliteState(Path(url.removeprefix(SQLITE_PREFIX)))
    raise ValueError(f"LINLI_WECHAT_STATE_URL must be sqlite:///<path> or redis://…, not {url!r}")
