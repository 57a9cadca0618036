"""staff login security: token versions and refresh tokens (issue 14, finding 7)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the helper that owns this migration


def downgrade() -> None:
    pass  # PLACEHOLDER
