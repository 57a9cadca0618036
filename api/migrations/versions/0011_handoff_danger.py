"""handoffs: the kind of danger an emergency alert is about (跌倒, 燃气, 暴力 …)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:11:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("danger", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("danger")
