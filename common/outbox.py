"""A durable, encrypted queue of backend writes (write-ahead): nothing the resident gave us is
lost, and nothing is filed twice.

Every write is stored here *before* it is sent, claimed by its sender, and deleted only once
the backend accepted it (2xx); a crash mid-request leaves the row, and its claim expires.

- **Claims with a lease.** A flusher claims due rows in one `BEGIN IMMEDIATE` transaction
  (SQLite's write lock), so two flushers, in one process or two, never hold the same row; a
  claim that outlives its lease (the flusher died) is taken over, and the idempotency key makes
  that resend harmless.
- **Backoff per row.** A failed send counts an attempt and sets the row's next attempt
  (exponential, capped): a row that keeps failing waits alone, the others go on.
- **Dead letters.** A row the backend refuses (4xx) will never be accepted as it is: it moves
  to `dead_letters` in the same transaction and stays there until the backend has taken the
  report (`POST /dead-letters`, shown on the worker console); never dropped silently.
- **Encrypted at rest.** Payloads are Fernet tokens (each front's own outbox key:
  `LINLI_ACTIONS_OUTBOX_KEY`, `LINLI_VOICE_OUTBOX_KEY`); only the path, the key and the
  bookkeeping are in clear. The file is created with mode 600.

Used by the action server (`actions/backend.py`) and the voice bridge
(`voice/backend_client.py`): each keeps its own file and runs `run_flusher`.
"""

import asyncio
import contextlib
import json
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from common.personal_numbers import redact_personal_numbers

log = logging.getLogger(__name__)

# Backoff of a row that could not be delivered: 5 s, 10 s, 20 s … at most 15 minutes.
FIRST_RETRY_S = 5.0
MAX_RETRY_S = 15 * 60.0
# Fields a dead letter's summary may show as they are; every other field is only named.
_SHOWN_FIELDS = ("channel", "sender_id", "service_code", "policy", "reason", "kind", "rating")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pending ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " path TEXT NOT NULL,"
    " payload_encrypted TEXT NOT NULL,"
    " idempotency_key TEXT NOT NULL UNIQUE,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at REAL NOT NULL DEFAULT 0,"
    " claimed_by TEXT,"
    " claimed_until REAL NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " path TEXT NOT NULL,"
    " payload_encrypted TEXT NOT NULL,"
    " idempotency_key TEXT NOT NULL UNIQUE,"
    " status_code INTEGER NOT NULL,"
    " detail TEXT NOT NULL,"
    " summary TEXT NOT NULL,"
    " reported INTEGER NOT NULL DEFAULT 0,"
    " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
)


# The running flushers' wake-up calls (set in the event loop of the process that flushes).
flusher_wake_ups: set[asyncio.Event] = set()


def wake_outbox_flusher() -> None:
    """An opportunistic flush: the backend just answered, so queued rows may go now."""
    for wake_up in flusher_wake_ups:
        wake_up.set()


class OutboxUnavailableError(Exception):
    """The outbox file could not be written: nothing may be promised as kept."""


class RejectedWriteError(Exception):
    """The receiver refused the write (4xx): it will never be accepted as it is.
    `detail` is the receiver's English message for operators."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


# Sends one write (path, payload, Idempotency-Key or None) and returns the receiver's answer;
# raises RejectedWriteError on a refusal, anything else when the receiver could not be reached.
SendWrite = Callable[[str, dict[str, Any], str | None], Awaitable[Any]]


@dataclass(frozen=True)
class PendingRequest:
    id: int
    path: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int


@dataclass(frozen=True)
class DeadLetter:
    id: int
    path: str
    idempotency_key: str
    status_code: int
    detail: str
    summary: str


def retry_delay_s(attempts: int) -> float:
    """How long a row waits after its `attempts`-th failure."""
    return float(min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** max(attempts - 1, 0)))


def masked_summary(path: str, payload: dict[str, Any]) -> str:
    """What an operator needs to find the resident's request, without their personal data:
    the conversation and the kind of request, the other fields only by name."""
    shown = [f"{name}={payload[name]}" for name in _SHOWN_FIELDS if payload.get(name) is not None]
    named = sorted(name for name in payload if name not in _SHOWN_FIELDS)
    # A sender id may itself carry a number (a phone's call id): masked like free text.
    summary = redact_personal_numbers(f"POST {path} " + " ".join(shown))
    if named:
        summary += f" (also: {', '.join(named)})"
    return summary[:500]


def outbox_cipher(keys: str, key_file: Path) -> MultiFernet:
    """The Fernet keys (comma-separated, newest first) that encrypt payloads at rest.

    Without a configured key (a test, a bare checkout) a key file beside the outbox is made
    once, mode 600, so the payloads are still never written in clear."""
    listed = [key.strip() for key in keys.split(",") if key.strip()]
    if not listed:
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as written:
                written.write(Fernet.generate_key().decode())
            log.warning("no outbox key is set: made %s", key_file)
        listed = [key_file.read_text().strip()]
    return MultiFernet([Fernet(key.encode()) for key in listed])


class Outbox:
    """One SQLite file; every method opens its own connection, so any task or process may
    use it at the same time."""

    def __init__(self, path: Path, *, keys: str = "") -> None:
        self.path = path
        self._keys = keys
        self._cipher: MultiFernet | None = None
        # Identifies this outbox object's claims (one per client, so per action).
        self.claimant = secrets.token_hex(8)

    def _fernet(self) -> MultiFernet:
        if self._cipher is None:
            self._cipher = outbox_cipher(self._keys, self.path.with_suffix(".key"))
        return self._cipher

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode: each method opens its transaction explicitly."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                # Mode 600 from the first byte: the file holds residents' requests.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxUnavailableError(f"outbox {self.path}: {exc}") from exc
        try:
            self._upgrade_legacy_table(connection)
            for statement in _SCHEMA:
                connection.execute(statement)
            yield connection
        except sqlite3.Error as exc:
            raise OutboxUnavailableError(f"outbox {self.path}: {exc}") from exc
        finally:
            connection.close()

    def _upgrade_legacy_table(self, connection: sqlite3.Connection) -> None:
        """An outbox from before write-ahead kept payloads in clear: encrypt them into the
        new table, in one transaction, the first time the file is opened."""
        columns = {row[1] for row in connection.execute("PRAGMA table_info(pending)")}
        if "payload" not in columns:
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            rows = connection.execute(
                "SELECT path, payload, idempotency_key FROM pending ORDER BY id"
            ).fetchall()
            connection.execute("DROP TABLE pending")
            connection.execute(_SCHEMA[0])
            connection.executemany(
                "INSERT INTO pending (path, payload_encrypted, idempotency_key) VALUES (?, ?, ?)",
                [(path, self._encrypt(json.loads(plain)), key) for path, plain, key in rows],
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        # The clear payloads may linger in free pages until the file is rewritten.
        connection.execute("VACUUM")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: it takes the write lock first, so what it reads is not
        changed by another process before it writes."""
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _encrypt(self, payload: dict[str, Any]) -> str:
        plain = json.dumps(payload, ensure_ascii=False).encode()
        return self._fernet().encrypt(plain).decode()

    def _decrypt(self, token: str) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self._fernet().decrypt(token.encode()))
        return payload

    def add(
        self, path: str, payload: dict[str, Any], idempotency_key: str, *, lease_s: float
    ) -> int:
        """Store a write before it is sent, claimed by this outbox for `lease_s` (the sender
        is about to send it; the background flusher must not). The row id, for `delivered`
        or `retry_later`; the same key stored again is the same row."""
        try:
            encrypted = self._encrypt(payload)
        except (OSError, ValueError) as exc:  # an unreadable or invalid key file
            raise OutboxUnavailableError(f"outbox key: {exc}") from exc
        with self._transaction() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO pending"
                " (path, payload_encrypted, idempotency_key, claimed_by, claimed_until)"
                " VALUES (?, ?, ?, ?, ?)",
                (path, encrypted, idempotency_key, self.claimant, time.time() + lease_s),
            )
            (row_id,) = connection.execute(
                "SELECT id FROM pending WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return int(row_id)

    def claim(self, *, limit: int, lease_s: float) -> list[PendingRequest]:
        """Due rows nobody holds, oldest first, now held by this outbox for `lease_s`."""
        now = time.time()
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT id, path, payload_encrypted, idempotency_key, attempts FROM pending"
                " WHERE next_attempt_at <= ? AND claimed_until <= ? ORDER BY id LIMIT ?",
                (now, now, limit),
            ).fetchall()
            connection.executemany(
                "UPDATE pending SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                [(self.claimant, now + lease_s, row[0]) for row in rows],
            )
        claimed = []
        for row_id, path, token, key, attempts in rows:
            try:
                payload = self._decrypt(token)
            except (InvalidToken, ValueError):
                # A key was lost or rotated away: keep the row (an operator can restore the
                # key) and tell them, instead of sending or dropping it.
                log.error("outbox row %s cannot be decrypted with the configured keys", row_id)
                self.retry_later(row_id, "payload cannot be decrypted", attempts=attempts + 1)
                continue
            claimed.append(PendingRequest(row_id, path, payload, key, attempts))
        return claimed

    def delivered(self, row_id: int) -> None:
        """The backend accepted it: the row (and the resident's data in it) goes."""
        with self._transaction() as connection:
            connection.execute("DELETE FROM pending WHERE id = ?", (row_id,))

    def retry_later(
        self, row_id: int, error: str, *, attempts: int | None = None, backoff: bool = True
    ) -> None:
        """Release the claim and push the next attempt back by the row's backoff (none after
        the sender's own try: the flusher's next round is soon enough)."""
        with self._transaction() as connection:
            found = connection.execute(
                "SELECT attempts FROM pending WHERE id = ?", (row_id,)
            ).fetchone()
            if found is None:
                return
            count = attempts if attempts is not None else int(found[0]) + 1
            connection.execute(
                "UPDATE pending SET attempts = ?, next_attempt_at = ?, claimed_by = NULL,"
                " claimed_until = 0, last_error = ? WHERE id = ?",
                (
                    count,
                    time.time() + (retry_delay_s(count) if backoff else 0),
                    error[:500],
                    row_id,
                ),
            )

    def dead_letter(self, row_id: int, *, status_code: int, detail: str) -> DeadLetter | None:
        """Move a row the backend refused to `dead_letters`, in one transaction."""
        with self._transaction() as connection:
            found = connection.execute(
                "SELECT path, payload_encrypted, idempotency_key FROM pending WHERE id = ?",
                (row_id,),
            ).fetchone()
            if found is None:
                return None
            path, token, key = found
            try:
                summary = masked_summary(path, self._decrypt(token))
            except (InvalidToken, ValueError):
                summary = f"POST {path}"
            cursor = connection.execute(
                "INSERT OR IGNORE INTO dead_letters"
                " (path, payload_encrypted, idempotency_key, status_code, detail, summary)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (path, token, key, status_code, redact_personal_numbers(detail)[:1000], summary),
            )
            connection.execute("DELETE FROM pending WHERE id = ?", (row_id,))
        return DeadLetter(int(cursor.lastrowid or 0), path, key, status_code, detail, summary)

    def forget(self, row_id: int) -> None:
        """The sender told the resident the write was refused: nothing is kept to resend."""
        self.delivered(row_id)

    def unreported_dead_letters(self, limit: int = 50) -> list[DeadLetter]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, path, idempotency_key, status_code, detail, summary"
                " FROM dead_letters WHERE reported = 0 ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [DeadLetter(*row) for row in rows]

    def dead_letter_reported(self, dead_letter_id: int) -> None:
        with self._transaction() as connection:
            connection.execute(
                "UPDATE dead_letters SET reported = 1 WHERE id = ?", (dead_letter_id,)
            )

    def rotate_keys(self) -> int:
        """Re-encrypt every stored payload with the newest key (MultiFernet.rotate)."""
        with self._transaction() as connection:
            count = 0
            for table in ("pending", "dead_letters"):
                rows = connection.execute(f"SELECT id, payload_encrypted FROM {table}").fetchall()
                for row_id, token in rows:
                    rotated = self._fernet().rotate(token.encode()).decode()
                    connection.execute(
                        f"UPDATE {table} SET payload_encrypted = ? WHERE id = ?", (rotated, row_id)
                    )
                    count += 1
        return count

    def depth_and_oldest_age_s(self) -> tuple[int, float]:
        """How many writes wait, and how long the oldest has waited (0 when none)."""
        with self._connect() as connection:
            count, age = connection.execute(
                "SELECT COUNT(*), strftime('%s', 'now') - strftime('%s', MIN(created_at))"
                " FROM pending"
            ).fetchone()
        return int(count), float(age or 0)

    def __len__(self) -> int:
        with self._connect() as connection:
            (count,) = connection.execute("SELECT COUNT(*) FROM pending").fetchone()
        return int(count)


async def deliver_due(outbox: Outbox, send: SendWrite, *, limit: int, lease_s: float) -> int:
    """Send the rows that are due and held by nobody, then report dead letters through the
    same `send`. Returns how many rows left the outbox (delivered or dead-lettered).

    A row that still cannot be delivered backs off alone; the others are tried."""
    done = 0
    for pending in outbox.claim(limit=limit, lease_s=lease_s):
        try:
            await send(pending.path, pending.payload, pending.idempotency_key)
        except RejectedWriteError as exc:
            # It will never be accepted as it is: a dead letter a worker must see.
            log.error("outbox row %s rejected: %s", pending.idempotency_key, exc)
            outbox.dead_letter(pending.id, status_code=exc.status_code, detail=exc.detail)
        except Exception as exc:
            outbox.retry_later(pending.id, repr(exc))
            continue
        else:
            outbox.delivered(pending.id)
        done += 1
    await report_dead_letters(outbox, send)
    return done


async def report_dead_letters(outbox: Outbox, send: SendWrite) -> int:
    """Hand dead letters to the backend (`POST /dead-letters`: the worker console lists them);
    one that cannot be reported now is reported on a later round."""
    reported = 0
    for letter in outbox.unreported_dead_letters():
        report = {
            "path": letter.path,
            "status_code": letter.status_code,
            "detail": letter.detail,
            "summary": letter.summary,
            "idempotency_key": letter.idempotency_key,
        }
        try:
            await send("/dead-letters", report, None)
        except Exception as exc:
            log.error("dead letter %s not reported yet: %r", letter.idempotency_key, exc)
            break
        outbox.dead_letter_reported(letter.id)
        reported += 1
    return reported


async def run_flusher(
    flush_round: Callable[[], Awaitable[int]], *, interval_s: float, batch: int
) -> None:
    """Call `flush_round` (which returns how many rows left the outbox) forever, until
    cancelled: at once again after a full batch, else after `interval_s` (doubled after each
    failed round, at most MAX_RETRY_S) or as soon as `wake_outbox_flusher` is called. Never
    raises, so the flusher cannot die of a bad row."""
    wake_up = asyncio.Event()
    flusher_wake_ups.add(wake_up)
    try:
        idle_rounds = 0
        while True:
            done = 0
            try:
                done = await flush_round()
                idle_rounds = 0
            except OutboxUnavailableError:
                log.exception("outbox: cannot open the outbox file")
                idle_rounds += 1
            except Exception:
                log.exception("outbox: flush round failed")
                idle_rounds += 1
            if done >= batch:
                continue  # more may be due right now
            pause = min(MAX_RETRY_S, interval_s * 2**idle_rounds)
            wake_up.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake_up.wait(), timeout=pause)
    finally:
        flusher_wake_ups.discard(wake_up)


def rotate_at_start(outbox: Outbox) -> None:
    """Re-encrypt what waits with the newest key; an undecryptable row is reported when it
    is claimed, so a failure here only logs."""
    try:
        rotated = outbox.rotate_keys()
        if rotated:
            log.info("outbox: %d payloads re-encrypted with the newest key", rotated)
    except Exception:
        log.exception("outbox: key rotation at start failed")
