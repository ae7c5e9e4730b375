"""A tick every minute from APScheduler's background scheduler, the first one at start-up
(the catch-up of a slot found late). A tick that is still running when the next is due is
not doubled (one instance, missed ticks coalesced)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

logger = logging.getLogger(__name__)

EVERY_S = 60.0


class Ticker:
    def __init__(
        self,
        tick: Callable[[datetime], object],
        *,
        every_s: float = EVERY_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._tick = tick
        self._clock = clock
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            # the scheduler's own time is the wall clock; `clock` is what the tick is told
            self._run, "interval", seconds=every_s, next_run_time=datetime.now(UTC),
            id="sigtrack-jobs",
            max_instances=1, coalesce=True, misfire_grace_time=None,
        )  # fmt: skip

    def _run(self) -> None:
        try:
            self._tick(self._clock())
        except Exception:  # one bad tick (the store down, say) must not stop the schedule
            logger.exception("the jobs' tick failed; the next one retries")

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        """Stop ticking; a tick under way finishes first."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
