"""call plans: outbound calls to residents (wellbeing, service callbacks, outreach) and each
call placed (issue 18)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("cadence", sa.String(length=8), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("policy_code", sa.String(length=32), nullable=True),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("calls_from", sa.String(length=5), nullable=False),
        sa.Column("calls_until", sa.String(length=5), nullable=False),
        sa.Column("max_tries", sa.Integer(), nullable=False),
        sa.Column("retry_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stop_reason", sa.String(length=200), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consent_recorded_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_id"], ["callbacks.id"], name=op.f("fk_call_plans_callback_id_callbacks")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_call_plans_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_plans")),
    )
    op.create_index(op.f("ix_call_plans_resident_id"), "call_plans", ["resident_id"])
    op.create_table(
        "outbound_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.String(length=10), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("late_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_to", sa.String(length=16), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["call_plans.id"], name=op.f("fk_outbound_calls_plan_id_call_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_calls")),
        sa.UniqueConstraint(
            "plan_id",
            "occurrence",
            "try_number",
            name=op.f("uq_outbound_calls_plan_id"),
        ),
    )
    op.create_index(op.f("ix_outbound_calls_plan_id"), "outbound_calls", ["plan_id"])
    op.create_index(op.f("ix_outbound_calls_due_at"), "outbound_calls", ["due_at"])
    op.create_index(op.f("ix_outbound_calls_status"), "outbound_calls", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbound_calls_status"), table_name="outbound_calls")
    op.drop_index(op.f("ix_outbound_calls_due_at"), table_name="outbound_calls")
    op.drop_index(op.f("ix_outbound_calls_plan_id"), table_name="outbound_calls")
    op.drop_table("outbound_calls")
    op.drop_index(op.f("ix_call_plans_resident_id"), table_name="call_plans")
    op.drop_table("call_plans")
