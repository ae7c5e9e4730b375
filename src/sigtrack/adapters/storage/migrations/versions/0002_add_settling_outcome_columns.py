"""Add the settling outcome to signals: R, MFE / MAE, ambiguity, rule, TP1 time, details.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
COLUMNS = (
    ("r_multiple", sa.Double),
    ("mfe_pct", sa.Double),
    ("mae_pct", sa.Double),
    ("ambiguous", sa.Boolean),
    ("rule", sa.String(160)),
    ("tp1_hit_at", Time),
    ("outcome", sa.JSON),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("signals", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, _ in reversed(COLUMNS):
        if sqlite:  # SQLite >= 3.35 drops a column in place (no table rebuild, no FK trouble)
            op.execute(f"ALTER TABLE signals DROP COLUMN {name}")
        else:
            op.drop_column("signals", name)
