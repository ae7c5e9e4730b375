"""The work beside a server that has no bot (`sigtrack serve` without a token): the
settling monitor in its thread and the jobs' ticker, started together and stopped
together — the current pass and the current tick finish first."""

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
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        if self.monitor is not None:
            self._thread = threading.Thread(target=self.monitor, args=(self._stop,),
                                            name="sigtrack-monitor", daemon=True)  # fmt: skip
            self._thread.start()
        if self.ticker is not None:
            self.ticker.start()

    def stop(self) -> None:
        self._stop.set()
        if self.ticker is not None:
            self.ticker.stop()
        if self._thread is not None:
            self._thread.join()
