"""per-front API keys and idempotency bound to the request (issue 14, findings 4 and 5)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the helper that owns this migration


def downgrade() -> None:
    pass  # PLACEHOLDER
