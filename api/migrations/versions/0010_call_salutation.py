"""call plans: how the resident likes to be addressed on the phone (王阿姨, 李老师)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_plans") as batch:
        batch.add_column(sa.Column("salutation", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("call_plans") as batch:
        batch.drop_column("salutation")
