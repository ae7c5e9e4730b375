"""The work beside a server that has no bot (`sigtrack serve` without a token): the
settling monitor and the journal's replayer in their threads and the jobs' ticker, started
together and stopped together — the current pass and the current tick finish first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sigtrack.adapters.jobs.ticker import Ticker

Monitor = Callable[[threading.Event], object]  # runs settling passes until the event is set


@dataclass(slots=True)
class Workers:
    monitor: Monitor | None = None
    ticker: Ticker | None = None
    replayer: Monitor | None = None  # applies the journal when the store answers again
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for name, loop in (("monitor", self.monitor), ("journal", self.replayer)):
            if loop is not None:
                thread = threading.Thread(target=loop, args=(self._stop,),
                                          name=f"sigtrack-{name}", daemon=True)  # fmt: skip
                thread.start()
                self._threads.append(thread)
        if self.ticker is not None:
            self.ticker.start()

    def stop(self) -> None:
        self._stop.set()
        if self.ticker is not None:
            self.ticker.stop()
        for thread in self._threads:
            thread.join()
