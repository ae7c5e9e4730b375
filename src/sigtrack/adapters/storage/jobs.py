"""The run ledger: one row per job and scheduled slot, claimed by an insert that only one
process can win (the unique key), then marked done / failed / missed.

Whatever fires the jobs (APScheduler in `sigtrack bot`, cron calling `sigtrack jobs
run-due`, several of them at once) only asks; these statements decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sigtrack.adapters.storage.tables import job_runs, jobs
from sigtrack.core.jobs import JobRun, RunState

MAX_ERROR = 2000


def _insert_new(conn: Connection, table: Any, values: Mapping[str, object]) -> bool:
    """Insert unless the key is taken; True when this statement inserted the row."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: with an autoincrement key the driver's rowcount is not
    # always the rows inserted (psycopg under SQLAlchemy's implicit RETURNING)
    inserted = conn.execute(statement.returning(*table.primary_key.columns)).first()
    return inserted is not None


def register_job(conn: Connection, name: str, now: datetime) -> datetime:
    """When `name` was first seen (now, the first time)."""
    _insert_new(conn, jobs, {"name": name, "since": now})
    since: datetime = conn.execute(select(jobs.c.since).where(jobs.c.name == name)).scalar_one()
    return since


def claim_slot(
    conn: Connection,
    name: str,
    slot: datetime,
    *,
    now: datetime,
    max_attempts: int,
    lease_s: float,
) -> int | None:
    """Claim the slot for this process: the first attempt by insert, a retry of a failed
    run (fewer than `max_attempts`) or of a run whose process died (running for longer
    than `lease_s`) by an update that only one process can win. Returns the attempt
    number, or None when the slot is not this process's to run."""
    c = job_runs.c
    first = {"job": name, "slot": slot, "state": RunState.RUNNING.value, "attempts": 1,
             "started_at": now}  # fmt: skip
    if _insert_new(conn, job_runs, first):
        return 1
    retry = or_(
        and_(c.state == RunState.FAILED.value, c.attempts < max_attempts),
        and_(c.state == RunState.RUNNING.value, c.started_at < now - timedelta(seconds=lease_s)),
    )
    claimed = conn.execute(
        update(job_runs)
        .where(c.job == name, c.slot == slot, retry)
        .values(
            state=RunState.RUNNING.value,
            attempts=c.attempts + 1,
            started_at=now,
            finished_at=None,
            error=None,
        )
        .returning(c.attempts)
    ).first()
    return None if claimed is None else int(claimed[0])


def finish_slot(
    conn: Connection,
    name: str,
    slot: datetime,
    *,
    state: RunState,
    now: datetime,
    error: str | None = None,
    detail: Mapping[str, object] | None = None,
    duration_s: float | None = None,
) -> None:
    """Record how the run ended; `duration_s` as measured (the clock is an argument, so
    `now` alone cannot tell how long the run took)."""
    c = job_runs.c
    conn.execute(
        update(job_runs)
        .where(c.job == name, c.slot == slot)
        .values(
            state=state.value,
            finished_at=now,
            duration_s=duration_s,
            error=None if error is None else error[:MAX_ERROR],
            detail=dict(detail or {}),
        )
    )


def mark_missed(conn: Connection, name: str, slot: datetime, *, now: datetime) -> bool:
    """Record a slot found past its grace window; True for the one process that did."""
    return _insert_new(conn, job_runs, {"job": name, "slot": slot, "state": RunState.MISSED.value,
                                        "attempts": 0, "finished_at": now})  # fmt: skip


def mark_told(conn: Connection, name: str, slot: datetime) -> bool:
    """Note that the admins were told of the slot; True for the one process to tell them."""
    c = job_runs.c
    done = conn.execute(
        update(job_runs).where(c.job == name, c.slot == slot, c.told.is_(False)).values(told=True)
    )
    return done.rowcount == 1


def runs(conn: Connection, name: str | None = None, *, limit: int = 10) -> list[JobRun]:
    """The newest runs (of `name`, or of every job), newest slot first."""
    c = job_runs.c
    query = select(job_runs).order_by(c.slot.desc(), c.job).limit(limit)
    if name is not None:
        query = query.where(c.job == name)
    return [_run(row) for row in conn.execute(query).mappings()]


def latest_runs(conn: Connection) -> list[JobRun]:
    """The newest run of each job that has one, by job name."""
    c = job_runs.c
    newest = select(c.job, func.max(c.slot).label("slot")).group_by(c.job).subquery()
    query = (
        select(job_runs)
        .join(newest, and_(c.job == newest.c.job, c.slot == newest.c.slot))
        .order_by(c.job)
    )
    return [_run(row) for row in conn.execute(query).mappings()]


def _run(row: RowMapping) -> JobRun:
    return JobRun(
        job=row["job"], slot=row["slot"], state=RunState(row["state"]),
        attempts=int(row["attempts"]), started_at=row["started_at"],
        finished_at=row["finished_at"], duration_s=row["duration_s"], error=row["error"],
        detail=row["detail"] or {}, told=bool(row["told"]),
    )  # fmt: skip
