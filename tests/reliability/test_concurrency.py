"""Four real processes tracking and closing at once, racing each other's closes: every
signal stored once and closed once, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from reliability_support import race

PROCESSES, PER_PROCESS = 4, 500  # bench/reliability.py runs 4 × 5,000


def test_processes_tracking_and_closing_at_once_store_each_signal_once_closed_once(
    db_url: str, tmp_path: Path
) -> None:
    run = race(db_url, tmp_path, processes=PROCESSES, per_process=PER_PROCESS)
    assert run.acknowledged == run.present == PROCESSES * PER_PROCESS
    assert (run.lost, run.duplicated, run.problems) == (0, 0, []), run.notes
    assert "closes refused as already closed" in run.notes
