"""Add the announcements outbox, receivers' feedback and the settling passes' record.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Three new tables, empty at first: the outbox is filled by the passes that announce
(adapters/storage/outbox.py), feedback by the bot's buttons, settling_passes by each
pass. Downgrading drops them and what they hold; signals and events are untouched.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)
PASS_COUNTS = ("checked", "symbols", "closed", "tp_hits", "wins", "losses", "expired", "failures")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("queued_at", Time, nullable=False),
        sa.Column("claimed_at", Time),
        sa.Column("finished_at", Time),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["signal_events.id"], name="fk_outbox_event_id_signal_events"
        ),
    )
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])

    op.create_table(
        "feedback",
        sa.Column("signal_pk", Id, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("answer", sa.String(8), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("signal_pk", "user_id", name="pk_feedback"),
        sa.ForeignKeyConstraint(
            ["signal_pk"], ["signals.id"], name="fk_feedback_signal_pk_signals"
        ),
    )

    op.create_table(
        "settling_passes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("source", sa.Text, nullable=False),  # files:/the/path/… can be long
        *(sa.Column(name, sa.Integer, nullable=False) for name in PASS_COUNTS),
        sa.Column("elapsed_s", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_settling_passes"),
    )
    op.create_index("ix_settling_passes_at", "settling_passes", ["at"])


def downgrade() -> None:
    for table in ("settling_passes", "feedback", "outbox"):
        op.drop_table(table)
