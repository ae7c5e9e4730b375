"""`track_user_command` on an empty and on a 1M-row activity table (issue 9 §2).

The old store counted the whole `activity` table twice per logged command, so the call
grew with the history. This times the call the bot makes (`sigtrack.compat
.track_user_command`, through the environment's store) on a fresh store, then fills
the table below the API to `--rows` lines and times it again; the ratio full / empty is
the figure (a ratio holds while the machine's speed drifts). Beside it, the cost of one
`SELECT count(*)` of the full table: what each call paid twice before.

    .venv/bin/python bench/activity.py [--rows N] [--calls N] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine

from sigtrack import compat
from sigtrack.compat import track_user_command
from store import (
    DEFAULT_PG_URL,
    Skipped,
    copy_postgres,
    fresh_postgres_database,
    insert_sqlite,
    latency,
    time_calls,
)

console = Console(highlight=False)
COLUMNS = ("at", "user_id", "username", "command", "symbol", "timeframe")
CHUNK = 100_000


def _rows(start: int, n: int, postgres: bool) -> list[tuple[Any, ...]]:
    base = datetime(2025, 12, 1, tzinfo=UTC)
    rows = []
    for i in range(start, start + n):
        at = base + timedelta(seconds=i * 30)
        text = at.strftime("%Y-%m-%d %H:%M:%S.000000") + ("+00" if postgres else "")
        rows.append((text, 1_000 + i % 5_000, f"user{i % 5_000}", "/signal", "BTCUSDT", "15m"))
    return rows


def fill(url: str, rows: int) -> None:
    """Append `rows` lines to `activity` below the API, in chunks."""
    postgres = url.startswith("postgresql")
    engine = create_engine(url)
    with engine.begin() as conn:
        for start in range(0, rows, CHUNK):
            chunk = _rows(start, min(CHUNK, rows - start), postgres)
            (copy_postgres if postgres else insert_sqlite)(conn, "activity", COLUMNS, chunk)
    with engine.connect() as plain:
        conn = plain.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("ANALYZE activity" if postgres else "ANALYZE")
        # Write the fill out now, so that the timed calls do not pay for its checkpoint.
        conn.exec_driver_sql("CHECKPOINT" if postgres else "PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def logged(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.exec_driver_sql("SELECT count(*) FROM activity WHERE command = '/winrate'")
                .scalar_one())  # fmt: skip
    engine.dispose()
    return n


def count_ms(url: str, runs: int = 5) -> float:
    engine = create_engine(url)
    with engine.connect() as conn:
        samples = time_calls(
            [lambda: conn.exec_driver_sql("SELECT count(*) FROM activity").scalar()] * runs
        )
    engine.dispose()
    return float(np.median(samples))


def calls(count: int) -> list[Callable[[], object]]:
    def one(i: int) -> Callable[[], object]:
        return lambda: track_user_command(7_000 + i % 50, f"bench{i % 50}", "/winrate", None, None)

    return [one(i) for i in range(count)]


def bench(url: str, rows: int, n_calls: int) -> dict[str, float]:
    os.environ["SIGTRACK_DATABASE_URL"] = url
    compat.reset()
    time_calls(calls(50))  # open the store, migrate, warm the statement caches
    empty = latency("empty", time_calls(calls(n_calls)))
    fill(url, rows)
    full = latency("full", time_calls(calls(n_calls)))
    compat.reset()
    if logged(url) != 50 + 2 * n_calls:  # compat never raises: check that each call logged
        raise SystemExit(f"{url}: {logged(url)} commands logged, not {50 + 2 * n_calls}")
    return {**empty, **full, "count_full_ms": count_ms(url)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("SIGTRACK_BENCH_PG_URL", DEFAULT_PG_URL))
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            console.print(f"{backend}: {args.calls} calls, then {args.rows:,} rows, again")
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'activity.db'}"
                results[backend] = bench(url, args.rows, args.calls)
                continue
            try:
                with fresh_postgres_database(args.pg_url, prefix="sigtrack_bench_act") as pg:
                    results[backend] = bench(pg, args.rows, args.calls)
            except Skipped as exc:
                console.print(f"  skipped: {exc}")
    table = Table("backend", "empty p50 / p99 ms", f"{args.rows:,} rows p50 / p99 ms",
                  "p50 full / empty", "one count(*) of the full table ms")  # fmt: skip
    for backend, r in results.items():
        table.add_row(
            backend,
            f"{r['empty_p50_ms']:.3f} / {r['empty_p99_ms']:.3f}",
            f"{r['full_p50_ms']:.3f} / {r['full_p99_ms']:.3f}",
            f"{r['full_p50_ms'] / r['empty_p50_ms']:.2f}",
            f"{r['count_full_ms']:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
