"""The outbox file itself (actions/outbox.py): an outbox from before write-ahead is upgraded
in place and its clear payloads encrypted; keys rotate; a failing row backs off alone."""

import json
import sqlite3
from pathlib import Path

from cryptography.fernet import Fernet

from common.outbox import MAX_RETRY_S, Outbox, retry_delay_s

PHONE = "13912345678"


def test_an_outbox_from_before_is_encrypted_in_place(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with sqlite3.connect(path) as old:  # the schema and a row as the old code wrote them
        old.execute(
            "CREATE TABLE pending (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL,"
            " payload TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,"
            " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        old.execute(
            "INSERT INTO pending (path, payload, idempotency_key) VALUES (?, ?, ?)",
            ("/bookings", json.dumps({"phone": PHONE}), "old-1"),
        )
    outbox = Outbox(path, keys=Fernet.generate_key().decode())
    (claimed,) = outbox.claim(limit=10, lease_s=30)
    assert claimed.payload == {"phone": PHONE} and claimed.idempotency_key == "old-1"
    assert PHONE.encode() not in path.read_bytes()


def test_a_new_key_in_front_rotates_every_row(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    Outbox(path, keys=old_key).add("/feedback", {"text": "好"}, "rot-1", lease_s=0)
    assert Outbox(path, keys=f"{new_key},{old_key}").rotate_keys() == 1
    (claimed,) = Outbox(path, keys=new_key).claim(limit=10, lease_s=30)
    assert claimed.payload == {"text": "好"}


def test_a_failing_row_backs_off_and_the_next_is_due(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db", keys=Fernet.generate_key().decode())
    first = outbox.add("/handoffs", {"n": 1}, "a", lease_s=0)
    outbox.add("/feedback", {"n": 2}, "b", lease_s=0)
    outbox.retry_later(first, "HTTP 503")
    assert [row.idempotency_key for row in outbox.claim(limit=10, lease_s=30)] == ["b"]
    # Claimed rows are nobody else's until the lease ends.
    assert outbox.claim(limit=10, lease_s=30) == []
    assert retry_delay_s(1) < retry_delay_s(2) < retry_delay_s(3)
    assert retry_delay_s(100) == MAX_RETRY_S


def test_without_a_configured_key_a_private_key_file_is_made(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.add("/feedback", {"phone": PHONE}, "k-1", lease_s=0)
    key_file = tmp_path / "outbox.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "outbox.db").stat().st_mode & 0o777 == 0o600
    assert PHONE.encode() not in (tmp_path / "outbox.db").read_bytes()
