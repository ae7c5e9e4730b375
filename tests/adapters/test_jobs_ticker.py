"""APScheduler's tick: at once on start-up, then every interval; never two at a time; a
failing tick does not stop the next; stop waits for the tick under way."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sigtrack.adapters.jobs import Ticker

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_the_first_tick_is_at_start_up_and_then_every_interval() -> None:
    ticks: list[datetime] = []
    three = threading.Event()

    def tick(now: datetime) -> None:
        ticks.append(now)
        if len(ticks) == 3:
            three.set()

    ticker = Ticker(tick, every_s=0.05, clock=lambda: NOW)
    ticker.start()
    try:
        assert three.wait(timeout=10)
    finally:
        ticker.stop()

    assert ticks[:3] == [NOW] * 3


def test_a_failing_tick_is_logged_and_the_next_one_runs() -> None:
    calls, second = [], threading.Event()

    def tick(now: datetime) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the store is down")
        second.set()

    ticker = Ticker(tick, every_s=0.05, clock=lambda: NOW)
    ticker.start()
    try:
        assert second.wait(timeout=10)
    finally:
        ticker.stop()


def test_stop_waits_for_the_tick_under_way_and_ticks_never_overlap() -> None:
    inside, release, finished = threading.Event(), threading.Event(), []
    running = []

    def tick(now: datetime) -> None:
        running.append(1)
        assert len(running) == 1, "two ticks at once"
        inside.set()
        release.wait(timeout=10)
        finished.append(now)
        running.pop()

    ticker = Ticker(tick, every_s=0.01, clock=lambda: NOW)
    ticker.start()
    assert inside.wait(timeout=10)
    stopper = threading.Thread(target=ticker.stop)
    stopper.start()
    stopper.join(timeout=0.2)
    assert stopper.is_alive()  # still waiting for the tick
    release.set()
    stopper.join(timeout=10)

    assert not stopper.is_alive() and finished
