"""Add the marks of journaled operations applied, and the monitors' claims on symbols.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

`journal_applied` holds the id of every journaled operation applied to the store, written
in the transaction that applies it: a replay after a crash mid-replay applies nothing twice
(services/journal.py). `settle_claims` has one row per symbol that monitors lock with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that several monitors share the open signals and
each symbol is settled by one of them per pass. Downgrading drops both.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journal_applied",
        sa.Column("op_id", sa.String(40), nullable=False),
        sa.Column("applied_at", Time, nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),  # "applied" or why it was not
        sa.PrimaryKeyConstraint("op_id", name="pk_journal_applied"),
    )
    op.create_table(
        "settle_claims",
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", Time),
        sa.PrimaryKeyConstraint("symbol", name="pk_settle_claims"),
    )


def downgrade() -> None:
    op.drop_table("settle_claims")
    op.drop_table("journal_applied")
