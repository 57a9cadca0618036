from pathlib import Path

from sqlalchemy import create_engine, inspect

from api.db import downgrade, upgrade


def test_migrations_upgrade_and_downgrade_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"residents", "cases", "bookings", "handoffs", "feedback", "staff_users"} <= tables
    downgrade(url, "base")
    assert set(inspect(create_engine(url)).get_table_names()) == {"alembic_version"}
    upgrade(url)
