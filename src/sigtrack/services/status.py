"""The store at a glance (`/signal_stats`, health checks) and where the open signals stand
(`/open`): counts, the last settling pass, the announcements waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sigtrack.core.bot_records import StoreStatus
from sigtrack.core.open_signals import OpenList, open_view
from sigtrack.core.signals import Status
from sigtrack.core.stats import cohort_start
from sigtrack.services.ports import SignalStore

OPEN_LIMIT = 50  # the open signals a view lists, oldest first; the count says how many more


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusService:
    store: SignalStore
    zone: tzinfo
    store_name: str

    def status(self, *, now: datetime) -> StoreStatus:
        today = cohort_start(now, 1, self.zone).astimezone(UTC)
        return StoreStatus(
            counts=self.store.store_counts(since=today),
            today_since=today,
            last_pass=self.store.last_pass(),
            outbox=self.store.outbox_counts(),
            store=self.store_name,
            jobs=tuple(self.store.latest_runs()),
        )

    def open_signals(self, *, now: datetime, limit: int = OPEN_LIMIT) -> OpenList:
        """The open signals, oldest first, with their age and distances to the next target
        and the stop at the last price a pass read."""
        total = self.store.store_counts(since=now).open
        records = self.store.list_signals(status=Status.ACTIVE, limit=limit, oldest_first=True)
        return OpenList(views=tuple(open_view(r, now) for r in records), total=total)
