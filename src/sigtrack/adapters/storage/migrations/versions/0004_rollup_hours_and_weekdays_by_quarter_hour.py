"""Roll hours and weekdays up by UTC quarter hour of the week, not by UTC hour.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A UTC hour straddles two local hours in a zone of half-hour or 45-minute offset
(Asia/Kolkata, Asia/Kathmandu, Australia/Adelaide), so the rollups of UTC hours could not
be placed in such a zone. A quarter hour can: every zone's offset since 1972 is whole
quarter hours. The rows of the old dimension ("hour") go; those of the new one
("quarter_hour") are built on first read, like every rollup (adapters/storage/rollups.py),
so this migration stays quick on a big store. Downgrading drops the new dimension's rows,
and the old code builds its own again.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _drop_dimension(dim: str) -> None:
    for table in ("rollups", "rollup_built"):
        op.execute(f"DELETE FROM {table} WHERE dim = '{dim}'")


def upgrade() -> None:
    _drop_dimension("hour")


def downgrade() -> None:
    _drop_dimension("quarter_hour")
