"""Finding 3 (at rest): residents' phones were stored in clear in the backend database
(residents, handoffs, calls). Against a real backend: after a booking, a handoff and a call,
no byte of the database file or its journal holds one of the numbers, yet staff read them
back in clear, a resident is still found by phone, and `python -m api.rotate_keys` moves the
phones to the newest key."""

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from api.id_numbers import vault_for
from testsupport.servers import APP_PYTHON, PROJECT_ROOT, Backend, backend_server, staff_client

BOOKING_PHONE = "13800138000"
HANDOFF_PHONE = "13900001111"
CALLER_NUMBER = "02584561234"
PHONES = (BOOKING_PHONE, HANDOFF_PHONE, CALLER_NUMBER)
OLD_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("at-rest")


@pytest.fixture(scope="module")
def backend(directory: Path) -> Iterator[Backend]:
    with backend_server(directory, extra_env={"LINLI_API_ID_NUMBER_KEY": OLD_KEY}) as server:
        yield server


@pytest.fixture(scope="module")
def filed(backend: Backend) -> dict[str, str]:
    """A booking (action server), a handoff and a call (voice bridge), each with a phone."""
    idempotent = {"Idempotency-Key": str(uuid.uuid4())}
    with httpx.Client(base_url=f"{backend.url}/api/v1", timeout=10) as client:
        when = (datetime.now().astimezone() + timedelta(days=2)).replace(hour=10, minute=0)
        booking = client.post(
            "/bookings",
            json={
                "service": "zhucan",
                "scheduled_at": when.isoformat(),
                "address": "幸福小区3号楼201",
                "phone": BOOKING_PHONE,
                "channel": "chat",
                "sender_id": "rest:at-rest",
            },
            headers={"X-API-Key": backend.api_key, **idempotent},
        )
        assert booking.status_code == 201, booking.text
        voice = {"X-API-Key": backend.voice_api_key}
        handoff = client.post(
            "/handoffs",
            json={"channel": "voice", "sender_id": "call:at-rest", "phone": HANDOFF_PHONE},
            headers={**voice, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert handoff.status_code == 201, handoff.text
        call = client.post(
            "/calls",
            json={"call_id": "at-rest-1", "transport": "sim", "caller_number": CALLER_NUMBER},
            headers=voice,
        )
        assert call.status_code == 201, call.text
    return {"booking": booking.json()["number"], "handoff": handoff.json()["number"]}


def clear_in(raw: bytes) -> list[str]:
    text = raw.decode("latin-1")
    return [phone for phone in PHONES if phone in text]


def test_the_database_file_holds_no_phone_in_clear(
    backend: Backend, filed: dict[str, str], directory: Path
) -> None:
    # The file and its write-ahead log: a row not yet checkpointed lives in linli.db-wal.
    files = sorted(directory.glob("linli.db*"))
    assert files
    for path in files:
        assert clear_in(path.read_bytes()) == [], path.name


def test_staff_still_read_the_phones_and_find_residents_by_phone(
    backend: Backend, filed: dict[str, str]
) -> None:
    with staff_client(backend) as staff:
        assert staff.get(f"/bookings/{filed['booking']}").json()["phone"] == BOOKING_PHONE
        handoffs = staff.get("/handoffs").json()
        assert HANDOFF_PHONE in [handoff["phone"] for handoff in handoffs]
        assert staff.get("/calls/at-rest-1").json()["caller_number"] == CALLER_NUMBER
        found = staff.get("/residents", params={"phone": BOOKING_PHONE}).json()
        assert [resident["phone"] for resident in found] == [BOOKING_PHONE]


def test_rotating_the_key_re_encrypts_the_phones(
    backend: Backend, filed: dict[str, str], directory: Path
) -> None:
    new_key = Fernet.generate_key().decode()
    env = {
        **os.environ,
        "LINLI_API_DATABASE_URL": f"sqlite:///{directory / 'linli.db'}",
        "LINLI_API_SECRET_KEY": "rotation-" + uuid.uuid4().hex,
        "LINLI_API_ID_NUMBER_KEY": f"{new_key},{OLD_KEY}",
    }
    rotated = subprocess.run(
        [str(APP_PYTHON), "-m", "api.rotate_keys"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    assert clear_in((rotated.stdout + rotated.stderr).encode()) == []
    new_only = vault_for(new_key)
    with sqlite3.connect(directory / "linli.db") as database:
        resident = database.execute(
            "SELECT phone_encrypted, phone_digest FROM residents WHERE phone_encrypted IS NOT NULL"
        ).fetchone()
        handoff = database.execute("SELECT phone_encrypted, phone_digest FROM handoffs").fetchone()
        (caller,) = database.execute("SELECT caller_number_encrypted FROM calls").fetchone()
    assert (new_only.decrypt(resident[0]), resident[1]) == (
        BOOKING_PHONE,
        new_only.digest(BOOKING_PHONE),
    )
    assert (new_only.decrypt(handoff[0]), handoff[1]) == (
        HANDOFF_PHONE,
        new_only.digest(HANDOFF_PHONE),
    )
    assert new_only.decrypt(caller) == CALLER_NUMBER
