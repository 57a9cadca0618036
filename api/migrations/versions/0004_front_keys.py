"""per-front API keys and idempotency bound to the request (issue 14, findings 4 and 5)

- api_keys.front: which front holds a key (api/auth/fronts.py); the one key there was, the
  action server's, belongs to the `actions` front.
- idempotency_keys: each Idempotency-Key bound to a fingerprint of its first request.
- Telegram chats are `tg:<chat id>` from now on (Rasa namespaces senders per front): links and
  records made before keep finding each other.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose records name the conversation they came from, with their channel.
SENDER_TABLES = (
    "cases", "bookings", "booking_plans", "handoffs", "feedback", "consents", "need_reports",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("front", sa.String(length=16), nullable=True))
    op.execute("UPDATE api_keys SET front = 'actions' WHERE name = 'action-server'")
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.execute(
        "UPDATE residents SET telegram_id = 'tg:' || telegram_id "
        "WHERE telegram_id IS NOT NULL AND telegram_id NOT LIKE 'tg:%'"
    )
    for table in SENDER_TABLES:
        op.execute(
            f"UPDATE {table} SET sender_id = 'tg:' || sender_id "
            "WHERE channel = 'telegram' AND sender_id IS NOT NULL AND sender_id NOT LIKE 'tg:%'"
        )


def downgrade() -> None:
    for table in SENDER_TABLES:
        op.execute(
            f"UPDATE {table} SET sender_id = substr(sender_id, 4) "
            "WHERE channel = 'telegram' AND sender_id LIKE 'tg:%'"
        )
    op.execute(
        "UPDATE residents SET telegram_id = substr(telegram_id, 4) WHERE telegram_id LIKE 'tg:%'"
    )
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("front")
