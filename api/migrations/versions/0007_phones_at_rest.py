"""phones at rest: residents', handoffs' and callers' numbers encrypted, with a lookup digest
(issue 14, finding 3)

Existing numbers are encrypted with the newest LINLI_API_ID_NUMBER_KEY (read the way the
backend reads it: the environment or var/linli.env); the downgrade decrypts them back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:10:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from api.id_numbers import IdNumberVault
from api.settings import ApiSettings

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, clear column, encrypted column, digest column or None: calls are never looked up)
PHONE_COLUMNS = (
    ("residents", "phone", "phone_encrypted", "phone_digest"),
    ("handoffs", "phone", "phone_encrypted", "phone_digest"),
    ("calls", "caller_number", "caller_number_encrypted", None),
)
CLEAR_LENGTHS = {"residents": 20, "handoffs": 20, "calls": 32}


class _KeySettings(BaseSettings):
    """Only the key, from where the backend reads its settings: a migration of an empty
    database needs none of the others."""

    model_config = ApiSettings.model_config
    id_number_key: SecretStr | None = None


def _vault() -> IdNumberVault:
    key = _KeySettings().id_number_key
    if key is None or not key.get_secret_value():
        raise RuntimeError(
            "Stored phone numbers must be encrypted: set LINLI_API_ID_NUMBER_KEY (in "
            "var/linli.env) before migrating"
        )
    return IdNumberVault(key.get_secret_value())


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in columns))


def _convert(
    table: str, source: str, targets: Sequence[str], convert: Callable[[str], tuple[str, ...]]
) -> None:
    """Fill `targets` of every row whose `source` is set with convert(value)."""
    connection = op.get_bind()
    rows = _table(table, source, *targets)
    found = connection.execute(
        sa.select(rows.c.id, rows.c[source]).where(rows.c[source].is_not(None))
    )
    for row_id, value in found.all():
        values = dict(zip(targets, convert(value), strict=True))
        connection.execute(rows.update().where(rows.c.id == row_id).values(**values))


def upgrade() -> None:
    vault: IdNumberVault | None = None

    def encrypt(phone: str) -> tuple[str, str]:
        # The key is read only when there is a number to encrypt: an empty database (a fresh
        # install, the tests' template) migrates without one.
        nonlocal vault
        vault = vault or _vault()
        return (vault.encrypt(phone), vault.digest(phone))

    for table, clear, encrypted, digest in PHONE_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(encrypted, sa.Text(), nullable=True))
            if digest:
                batch.add_column(sa.Column(digest, sa.String(length=64), nullable=True))
        if digest:
            _convert(table, clear, (encrypted, digest), encrypt)
        else:
            _convert(table, clear, (encrypted,), lambda phone: encrypt(phone)[:1])
        with op.batch_alter_table(table) as batch:
            if table == "residents":
                batch.drop_constraint("uq_residents_phone", type_="unique")
                batch.create_unique_constraint("uq_residents_phone_digest", ["phone_digest"])
            if table == "handoffs":
                batch.create_index("ix_handoffs_phone_digest", ["phone_digest"])
            batch.drop_column(clear)


def downgrade() -> None:
    vault: IdNumberVault | None = None

    def decrypt(token: str) -> tuple[str]:
        nonlocal vault
        vault = vault or _vault()
        return (vault.decrypt(token),)

    for table, clear, encrypted, digest in PHONE_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(clear, sa.String(length=CLEAR_LENGTHS[table])))
        _convert(table, encrypted, (clear,), decrypt)
        with op.batch_alter_table(table) as batch:
            if table == "residents":
                batch.drop_constraint("uq_residents_phone_digest", type_="unique")
                batch.create_unique_constraint("uq_residents_phone", ["phone"])
            if table == "handoffs":
                batch.drop_index("ix_handoffs_phone_digest")
            batch.drop_column(encrypted)
            if digest:
                batch.drop_column(digest)
