from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text

from api.db import downgrade, upgrade
from api.id_numbers import IdNumberVault
from api.models import Base
from tests.api.support import BACKENDS, ID_NUMBER_KEY, POSTGRES_URL, postgres_execute


@pytest.fixture(autouse=True)
def id_number_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key 0007 encrypts existing phones with (the environment wins over var/linli.env)."""
    monkeypatch.setenv("LINLI_API_ID_NUMBER_KEY", ID_NUMBER_KEY)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("LINLI_TEST_POSTGRES_URL not set: PostgreSQL tests skipped")
    name = f"linli_migrations_{tmp_path.name[-8:].replace('-', '_')}"
    postgres_execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_upgrade_and_downgrade_cleanly(empty_database: str) -> None:
    url = empty_database
    upgrade(url)
    assert {
        "residents", "households", "cases", "case_events", "bookings", "handoffs", "feedback",
        "staff_users", "providers", "service_budgets", "callbacks", "need_reports", "consents",
        "audit_log",
    } <= tables(url)  # fmt: skip
    downgrade(url, "0001")
    assert "case_events" not in tables(url) and "residents" in tables(url)
    downgrade(url, "base")
    assert tables(url) == {"alembic_version"}
    upgrade(url)


def test_0002_keeps_existing_rows_valid(empty_database: str) -> None:
    """Data written under the walking skeleton's schema survives the upgrade and downgrade."""
    url = empty_database
    upgrade(url, "0001")
    now = datetime.now(UTC)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO residents (id, phone, created_at) VALUES (1, '13800138000', :now)"),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO cases (id, resident_id, policy_code, applicant_name, description,"
                " status, channel, created_at, updated_at) VALUES"
                " (1, 1, 'dibao', '王秀英', '', 'submitted', 'chat', :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO bookings (id, resident_id, service_code, scheduled_at, address, note,"
                " status, channel, created_at, updated_at) VALUES"
                " (1, 1, 'zhucan', :now, '幸福小区', '', 'requested', 'chat', :now, :now)"
            ),
            {"now": now},
        )
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        events = connection.execute(text("SELECT case_id, to_status FROM case_events")).all()
        assert [tuple(row) for row in events] == [(1, "submitted")]
        assert connection.execute(text("SELECT updated_at FROM residents")).scalar() is not None
        assert connection.execute(text("SELECT service_report FROM bookings")).scalar() == ""
    engine.dispose()
    downgrade(url, "0001")
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cases")).scalar() == 1
    engine.dispose()


def test_0007_encrypts_stored_phones_and_its_downgrade_restores_them(empty_database: str) -> None:
    url = empty_database
    upgrade(url, "0006")
    now = datetime.now(UTC)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO residents (id, phone, created_at, updated_at) VALUES"
                 " (1, '13800138000', :now, :now), (2, NULL, :now, :now)"),
            {"now": now},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO handoffs (id, channel, phone, reason, last_message, status,"
                 " created_at) VALUES (1, 'chat', '13900001111', 'requested', '', 'open', :now)"),
            {"now": now},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO calls (id, call_id, transport, caller_number, started_at)"
                 " VALUES (1, 'c-1', 'sip', '02512345678', :now)"),
            {"now": now},
        )  # fmt: skip
    engine.dispose()
    upgrade(url)
    vault = IdNumberVault(ID_NUMBER_KEY)
    engine = create_engine(url)
    with engine.connect() as connection:
        residents = connection.execute(
            text("SELECT phone_encrypted, phone_digest FROM residents ORDER BY id")
        ).all()
        handoff = connection.execute(text("SELECT * FROM handoffs")).one()
        call = connection.execute(text("SELECT * FROM calls")).one()
    engine.dispose()
    assert vault.decrypt(residents[0][0]) == "13800138000"
    assert residents[0][1] == vault.digest("13800138000")
    assert tuple(residents[1]) == (None, None)
    assert vault.decrypt(handoff.phone_encrypted) == "13900001111"
    assert handoff.phone_digest == vault.digest("13900001111")
    assert vault.decrypt(call.caller_number_encrypted) == "02512345678"
    for row in (*residents, handoff, call):
        assert all(number not in str(value) for value in row
                   for number in ("13800138000", "13900001111", "02512345678"))  # fmt: skip
    downgrade(url, "0006")
    engine = create_engine(url)
    with engine.connect() as connection:
        phones = connection.execute(text("SELECT phone FROM residents ORDER BY id")).scalars()
        assert list(phones) == ["13800138000", None]
        assert connection.execute(text("SELECT phone FROM handoffs")).scalar() == "13900001111"
        assert connection.execute(text("SELECT caller_number FROM calls")).scalar() == (
            "02512345678"
        )
    engine.dispose()


def test_models_and_migrations_agree(empty_database: str) -> None:
    """Autogenerate finds nothing to do: every model change has its migration."""
    upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
