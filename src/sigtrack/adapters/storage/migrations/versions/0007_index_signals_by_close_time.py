"""Index the signals by their close time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

The dashboard's recent closes read the newest closes of a window (`recent_closes`);
without the index that is a scan of every signal. Downgrading drops it.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_signals_closed_at", "signals", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_signals_closed_at", table_name="signals")
