"""Add the daily rollups of the breakdown sums, and mark every stored day to be built.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

The rollup rows themselves are built on first read (adapters/storage/rollups.py), per
dimension, so this migration stays quick on a big store: it only lists the UTC days that
hold signals.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Day = sa.String(10)
Count = sa.BigInteger
SUMS = ("pnl_sum", "pnl_n", "pnl_sq", "r_sum", "r_n", "r_sq")
COUNTS = ("open", "wins", "losses", "expired", "breakeven", "cancelled")


def upgrade() -> None:
    op.create_table(
        "rollup_days",
        sa.Column("day", Day, nullable=False),
        sa.Column("version", Count, nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_rollup_days"),
    )
    op.create_table(
        "rollup_built",
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("day", Day, nullable=False),
        sa.Column("version", Count, nullable=False),
        sa.PrimaryKeyConstraint("dim", "day", name="pk_rollup_built"),
    )
    op.create_table(
        "rollups",
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("day", Day, nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        *(sa.Column(name, Count, nullable=False) for name in COUNTS),
        *(
            sa.Column(name, Count if name.endswith("_n") else sa.Double, nullable=False)
            for name in SUMS
        ),
        sa.PrimaryKeyConstraint("dim", "day", "key", name="pk_rollups"),
    )
    if op.get_bind().dialect.name == "sqlite":  # naive UTC text 'YYYY-MM-DD HH:MM:SS…'
        day = "substr(created_at, 1, 10)"
    else:
        day = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    op.execute(f"INSERT INTO rollup_days (day, version) SELECT DISTINCT {day}, 1 FROM signals")


def downgrade() -> None:
    for table in ("rollups", "rollup_built", "rollup_days"):
        op.drop_table(table)
