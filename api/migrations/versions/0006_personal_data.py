"""personal data: outbox dead letters, audited reads, consent for health and income facts
(issue 14, findings 8 and 9)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Writes the action server's outbox could not deliver (the backend refused them), shown
    # on the worker console. Audited reads and health/income consent use existing tables
    # (audit_log; consents with purposes health and income).
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("reported_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_dead_letters_idempotency_key")),
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
