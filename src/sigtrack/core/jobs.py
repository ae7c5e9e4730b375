"""The run ledger's values: one run per job and scheduled slot, and what it came to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sigtrack.core.schedule import Grace, Schedule


class JobName(StrEnum):
    WEEKLY_REPORT = "weekly_report"  # the last complete week's report to the admins
    BACKUP = "backup"  # the store to every backup target, verified


class RunState(StrEnum):
    RUNNING = "running"  # claimed by a process (the one that inserted or re-claimed it)
    DONE = "done"
    FAILED = "failed"  # retried on later ticks within the grace window
    MISSED = "missed"  # found past its grace window, never run: the admins are told


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRun:
    job: str
    slot: datetime  # the scheduled moment, aware UTC
    state: RunState
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    error: str | None = None
    detail: Mapping[str, object] = field(default_factory=dict)
    told: bool = False  # the admins were told of a miss or a final failure


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStatus:
    job: str
    schedule: Schedule
    grace: Grace
    runs: tuple[JobRun, ...]  # newest first
    next_slot: datetime

    @property
    def missed(self) -> tuple[JobRun, ...]:
        return tuple(r for r in self.runs if r.state is RunState.MISSED)
