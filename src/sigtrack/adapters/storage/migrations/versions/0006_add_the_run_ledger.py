"""Add the run ledger of the automatic jobs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

`jobs` holds when each job was first seen (slots before it are not reported missed);
`job_runs` one row per job and scheduled slot: the unique key is what makes a slot run
once across restarts and processes (adapters/storage/jobs.py). Downgrading drops both.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("since", Time, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_jobs"),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("slot", Time, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started_at", Time),
        sa.Column("finished_at", Time),
        sa.Column("duration_s", sa.Double),
        sa.Column("error", sa.Text),
        sa.Column("detail", sa.JSON),
        sa.Column("told", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_job_runs"),
        sa.UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("jobs")
