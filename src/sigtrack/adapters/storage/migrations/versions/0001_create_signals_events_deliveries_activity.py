"""Create signals, signal_events, deliveries and activity.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("signal_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("symbol", sa.String(20), nullable=False),
        sa.Column("side", sa.String(5), nullable=False),
        sa.Column("timeframe", sa.String(4), nullable=False),
        sa.Column("entry", sa.Double, nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("sl", sa.Double, nullable=False),
        sa.Column("confidence", sa.Double),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(64), nullable=False),
        sa.Column("market", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("recorded_at", Time, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("result", sa.String(10)),
        sa.Column("exit_reason", sa.String(12)),
        sa.Column("pnl_pct", sa.Double),
        sa.Column("closed_at", Time),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
        sa.UniqueConstraint("signal_id", name="uq_signals_signal_id"),
    )
    op.create_index(
        "ix_signals_created_at_status_result_pnl_pct",
        "signals",
        ["created_at", "status", "result", "pnl_pct"],
    )
    op.create_index("ix_signals_status_symbol", "signals", ["status", "symbol"])

    op.create_table(
        "signal_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("signal_pk", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("data", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signal_events"),
        sa.ForeignKeyConstraint(
            ["signal_pk"], ["signals.id"], name="fk_signal_events_signal_pk_signals"
        ),
    )
    op.create_index("ix_signal_events_signal_pk", "signal_events", ["signal_pk"])

    op.create_table(
        "deliveries",
        sa.Column("signal_pk", Id, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("signal_pk", "user_id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["signal_pk"], ["signals.id"], name="fk_deliveries_signal_pk_signals"
        ),
    )

    op.create_table(
        "activity",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("username", sa.String(64)),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32)),
        sa.Column("timeframe", sa.String(16)),
        sa.Column("dedupe_key", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
        sa.UniqueConstraint("dedupe_key", name="uq_activity_dedupe_key"),
    )
    op.create_index("ix_activity_at", "activity", ["at"])


def downgrade() -> None:
    op.drop_table("activity")
    op.drop_table("deliveries")
    op.drop_table("signal_events")
    op.drop_table("signals")
