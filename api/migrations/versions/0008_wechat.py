"""wechat: a resident's linked WeChat conversation, and the notifications outbox the WeChat
front sends from (staff alerts on 企业微信, resident notices) (issue 17)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wechat_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_residents_wechat_id"), ["wechat_id"])
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overdue_alerted_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=True),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    op.create_index(op.f("ix_notifications_audience"), "notifications", ["audience"])
    op.create_index(op.f("ix_notifications_delivered_at"), "notifications", ["delivered_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notifications_delivered_at"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_audience"), table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_column("overdue_alerted_at")
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_residents_wechat_id"), type_="unique")
        batch_op.drop_column("wechat_id")
