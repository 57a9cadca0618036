"""personal data: outbox dead letters, audited reads, consent for health and income facts (issue 14, findings 8 and 9)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the helper that owns this migration


def downgrade() -> None:
    pass  # PLACEHOLDER
