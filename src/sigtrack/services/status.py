"""The store at a glance (`/signal_stats`, health checks) and where the open signals stand
(`/open`): counts, the last settling pass, the announcements waiting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sigtrack.core.bot_records import Health, StoreStatus
from sigtrack.core.errors import StorageError
from sigtrack.core.jobs import JobName, RunState
from sigtrack.core.journal import JournalStatus
from sigtrack.core.open_signals import OpenList, open_view
from sigtrack.core.signals import Status
from sigtrack.core.stats import cohort_start
from sigtrack.services.ports import SignalStore

BACKUP_LOOKBACK = 10  # the backup runs looked at for the last verified one
OPEN_LIMIT = 50  # the open signals a view lists, oldest first; the count says how many more


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusService:
    store: SignalStore
    zone: tzinfo
    store_name: str
    journal: Callable[[], JournalStatus] | None = None  # the backlog of writes kept meanwhile

    def status(self, *, now: datetime) -> StoreStatus:
        today = cohort_start(now, 1, self.zone).astimezone(UTC)
        return StoreStatus(
            counts=self.store.store_counts(since=today),
            today_since=today,
            last_pass=self.store.last_pass(),
            outbox=self.store.outbox_counts(),
            store=self.store_name,
            jobs=tuple(self.store.latest_runs()),
            journal=self.journal() if self.journal else None,
        )

    def health(self, *, now: datetime) -> Health:
        """The store reachable (its status), or the reason it is not; never raises for a
        store that is down."""
        try:
            status = self.status(now=now)
            backups = self.store.job_runs(JobName.BACKUP.value, limit=BACKUP_LOOKBACK)
        except StorageError as exc:
            return Health(store=self.store_name, error=str(exc), status=None, last_backup=None,
                          journal=self.journal() if self.journal else None)  # fmt: skip
        done = next((run for run in backups if run.state is RunState.DONE), None)
        return Health(store=self.store_name, error=None, status=status, last_backup=done,
                      journal=status.journal)  # fmt: skip

    def open_signals(self, *, now: datetime, limit: int = OPEN_LIMIT) -> OpenList:
        """The open signals, oldest first, with their age and distances to the next target
        and the stop at the last price a pass read."""
        return open_list(self.store, now=now, limit=limit)


def open_list(store: SignalStore, *, now: datetime, limit: int = OPEN_LIMIT) -> OpenList:
    """`StatusService.open_signals` (the dashboard shows the same list)."""
    total = store.store_counts(since=now).open
    records = store.list_signals(status=Status.ACTIVE, limit=limit, oldest_first=True)
    return OpenList(views=tuple(open_view(r, now) for r in records), total=total)
