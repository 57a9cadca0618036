"""A durable queue of backend writes that could not be delivered yet.

When the backend is down, an application or booking the resident already gave us must not be
lost: it is stored here with its idempotency key and re-sent later, so a request that did reach
the backend before the connection broke is never filed twice.
"""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PendingRequest:
    id: int
    path: str
    payload: dict[str, Any]
    idempotency_key: str


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5)
        try:
            with connection:
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS pending ("
                    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " path TEXT NOT NULL,"
                    " payload TEXT NOT NULL,"
                    " idempotency_key TEXT NOT NULL UNIQUE,"
                    " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
                )
                yield connection
        finally:
            connection.close()

    def add(self, path: str, payload: dict[str, Any], idempotency_key: str) -> None:
        with self._connect() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO pending (path, payload, idempotency_key) VALUES (?, ?, ?)",
                (path, json.dumps(payload, ensure_ascii=False), idempotency_key),
            )

    def pending(self, limit: int = 50) -> list[PendingRequest]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, path, payload, idempotency_key FROM pending ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [PendingRequest(row[0], row[1], json.loads(row[2]), row[3]) for row in rows]

    def remove(self, request_id: int) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM pending WHERE id = ?", (request_id,))

    def __len__(self) -> int:
        with self._connect() as connection:
            (count,) = connection.execute("SELECT COUNT(*) FROM pending").fetchone()
        return int(count)
