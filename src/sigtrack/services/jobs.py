"""The automatic jobs (the weekly report, the daily backup): each scheduled slot runs
once, ever, across restarts and processes; a late one runs within its grace window; a
missed one and a final failure are told to the admins, once.

The run ledger in the store decides; whatever calls `run_due` (APScheduler every minute
in `sigtrack bot`, cron with `sigtrack jobs run-due`, several at once) only asks. The
clock is an argument: `run_due(now=…)` is how the tests, and an operator checking a
schedule, move time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sigtrack.core.jobs import JobStatus, RunState
from sigtrack.core.schedule import Grace, Schedule
from sigtrack.services.ports import SignalStore

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # tries of one slot (one per tick) before it is a final failure
LEASE_S = 3600.0  # a run still "running" after this is taken for a dead process's
LOOKBACK = timedelta(days=35)  # how far back slots are looked at

# (slot, now) → what the run did, for the ledger; raises to fail the run
JobRunner = Callable[[datetime, datetime], Mapping[str, object]]
Notify = Callable[[str, Mapping[str, object]], None]  # (text key, values) → the admins told


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    name: str
    schedule: Schedule
    grace: Grace
    run: JobRunner


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """What one tick did with one slot."""

    job: str
    slot: datetime
    state: RunState  # DONE / FAILED after running it, MISSED when recorded missed
    attempt: int = 0
    error: str | None = None
    detail: Mapping[str, object] = field(default_factory=dict)


class JobsService:
    def __init__(
        self,
        store: SignalStore,
        jobs: Sequence[Job],
        *,
        zone: tzinfo,
        notify: Notify | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        lease_s: float = LEASE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.jobs = tuple(jobs)
        self.zone = zone
        self.notify = notify
        self.max_attempts = max_attempts
        self.lease_s = lease_s
        self._clock = clock

    def run_due(self, *, now: datetime) -> list[RunOutcome]:
        """Run every slot that is due at `now` and not yet claimed; record the slots found
        past their grace window as missed. Returns what was done (empty: nothing due)."""
        done: list[RunOutcome] = []
        for job in self.jobs:
            done += self._tick(job, now)
        return done

    def status(self, *, now: datetime, runs: int = 5) -> list[JobStatus]:
        return [
            JobStatus(
                job=job.name,
                schedule=job.schedule,
                grace=job.grace,
                runs=tuple(self.store.job_runs(job.name, limit=runs)),
                next_slot=job.schedule.next_after(now, self.zone),
            )
            for job in self.jobs
        ]

    def _tick(self, job: Job, now: datetime) -> list[RunOutcome]:
        since = self.store.register_job(job.name, now=now)
        known = {r.slot: r for r in self.store.job_runs(job.name, limit=64)}
        done: list[RunOutcome] = []
        for slot in job.schedule.slots(now - LOOKBACK, now, self.zone):
            grace_end = job.schedule.grace_end(slot, job.grace, self.zone)
            if grace_end <= since:
                continue  # before the job was first seen: not a slot it could have run
            row = known.get(slot)
            if row is not None and row.state in (RunState.DONE, RunState.MISSED):
                continue
            if now < grace_end:
                outcome = self._run(job, slot, now)
                if outcome is not None:
                    done.append(outcome)
            elif row is None:
                if self.store.mark_missed(job.name, slot, now=now):
                    self._tell(job.name, slot, "jobs.missed", grace_end=grace_end)
                    done.append(RunOutcome(job=job.name, slot=slot, state=RunState.MISSED))
            elif row.state is RunState.FAILED and not row.told:
                self._tell(job.name, slot, "jobs.failed", attempts=row.attempts,
                           error=row.error or "")  # fmt: skip
        return done

    def _run(self, job: Job, slot: datetime, now: datetime) -> RunOutcome | None:
        attempt = self.store.claim_slot(job.name, slot, now=now, max_attempts=self.max_attempts,
                                        lease_s=self.lease_s)  # fmt: skip
        if attempt is None:
            return None  # another process has it, or it failed for the last time
        started = self._clock()
        try:
            detail = dict(job.run(slot, now))
        except Exception as exc:  # a job's failure is recorded and retried, never lost
            error = f"{type(exc).__name__}: {exc}"
            logger.error("job %s of %s failed (attempt %d): %s", job.name, slot, attempt, error)
            self.store.finish_slot(job.name, slot, state=RunState.FAILED, now=now, error=error,
                                   duration_s=self._clock() - started)  # fmt: skip
            if attempt >= self.max_attempts:
                self._tell(job.name, slot, "jobs.failed", attempts=attempt, error=error)
            return RunOutcome(job=job.name, slot=slot, state=RunState.FAILED, attempt=attempt,
                              error=error)  # fmt: skip
        self.store.finish_slot(job.name, slot, state=RunState.DONE, now=now, detail=detail,
                               duration_s=self._clock() - started)  # fmt: skip
        logger.info("job %s of %s done: %s", job.name, slot, detail)
        return RunOutcome(job=job.name, slot=slot, state=RunState.DONE, attempt=attempt,
                          detail=detail)  # fmt: skip

    def _tell(self, job: str, slot: datetime, key: str, **values: object) -> None:
        """Tell the admins once (the ledger's `told` flag picks the one process that does)."""
        if not self.store.mark_told(job, slot):
            return
        if self.notify is None:
            logger.warning("%s %s of %s: no bot token to tell the admins", key, job, slot)
            return
        try:
            self.notify(key, {"job": job, "slot": slot, **values})
        except Exception as exc:  # telling failed: the log is the last resort
            logger.error("could not tell the admins %s of %s %s: %s", key, job, slot, exc)
