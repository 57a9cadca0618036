"""recurring booking plans: a plan (days of the week, time, first and last day) and its
occurrences, which are bookings with plan_id set. Existing bookings are one-off (plan_id NULL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:55:48.225946
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booking_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=32), nullable=False),
        sa.Column("weekdays", sa.String(length=16), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("time_text", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_booking_plans_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_plans")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_booking_plans_idempotency_key")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_bookings_plan_id"), ["plan_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_bookings_plan_id_booking_plans"), "booking_plans", ["plan_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_bookings_plan_id_booking_plans"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_bookings_plan_id"))
        batch_op.drop_column("plan_id")

    op.drop_table("booking_plans")
