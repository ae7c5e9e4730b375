"""End-to-end settling benchmark: `sigtrack resolve` as a process beside plain writers (issue 9).

    .venv/bin/python bench/settle_e2e.py [--signals N] [--backends sqlite,postgresql]
                                         [--pg-url URL] [--seed N] [--monitor-signals N]

On a generated, seeded year of 1-minute candles for one symbol (bench/settle_market.py,
written as one CSV) and N open signals (100,000 by default) bulk-loaded into a fresh store
(bench/store.py's fill writers), it measures, per backend and in the same run:

- `sigtrack --db URL resolve --candles FILE --symbol BTCUSDT` as a subprocess, process
  start to exit (text output to a pipe, as a user's terminal or a cron log gets it);
- the plain reference writer of the same rows into an identical fresh store: every close
  (12 columns by primary key) and its event rows in one transaction — plain `sqlite3`
  (WAL, synchronous=NORMAL) on SQLite; plain psycopg on PostgreSQL, both `executemany`
  and COPY into a temporary table + one `UPDATE … FROM`, the faster counted. Its rows are
  built before the clock starts: only the writing is timed;
- the ratio of the two rates (target: ≥ 0.4);
- a monitor pass (one SettlingService, as `sigtrack monitor` keeps it) over a few hundred
  open signals, one new minute of candles per pass: its median and worst time.

The stored outcomes are checked against the engine run in this process (every result, exit
reason and PnL). See bench/README.md ("settle_e2e.py").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from rich.console import Console
from sqlalchemy import create_engine, text

from settle_market import SCENARIOS, SignalArrays, draw_signals, year_of_candles
from sigtrack import Tracker
from sigtrack.adapters.storage import create_store_engine, rollups
from sigtrack.config import Settings, load_settings
from sigtrack.core.batch_signals import OutcomeBatch, SignalBatch
from sigtrack.core.candles import Candles
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.resolution import settle_many
from sigtrack.core.signals import Status
from store import (
    DEFAULT_PG_URL,
    EVENT_COLUMNS,
    SIGNAL_COLUMNS,
    Skipped,
    _time_texts,
    base_machine_info,
    copy_postgres,
    fresh_postgres_database,
    insert_sqlite,
    postgres_after_fill,
)

BENCH_DIR = Path(__file__).resolve().parent
SYMBOL = "BTCUSDT"
TIMEFRAME = "15m"  # 96 × 15 minutes: the 1,440-candle life of the hold200 scenario
TARGET_RATIO = 0.4
POLICY = ResolutionPolicy()
console = Console()
if not console.is_terminal:
    console = Console(width=150)


def settings_of(url: str) -> Settings:
    """Settings from the URL alone (the machine's SIGTRACK_* variables and files ignored)."""
    return load_settings(env={}, config_file=None, database_url=url)


# --- the inputs -----------------------------------------------------------------------


def write_candles_csv(candles: Candles, path: Path) -> None:
    table = pa.table(
        {
            "timestamp": candles.open_time_ms,
            "open": candles.open,
            "high": candles.high,
            "low": candles.low,
            "close": candles.close,
            "volume": candles.volume,
        }
    )
    pa_csv.write_csv(table, path)


def signal_rows(signals: SignalArrays, postgres: bool, first_pk: int = 1) -> tuple[list, list]:
    """The signals table rows (open, as `track` stores them) and their `created` events."""
    created_s = signals.created_ms // 1000
    created = _time_texts(created_s, postgres)
    iso = [t + "+00:00" for t in np.datetime_as_string(created_s.astype("datetime64[s]"))]
    rows, events = [], []
    for i in range(len(signals)):
        pk = first_pk + i
        targets = json.dumps([float(x) for x in signals.targets[i]])
        rows.append((
            pk, f"0_{SYMBOL}_{int(created_s[i])}_{i}", 0, SYMBOL,
            "LONG" if signals.is_long[i] else "SHORT", TIMEFRAME, float(signals.entry[i]),
            targets, float(signals.stop[i]), None, "[]", "[]", "default", "bench", "binance",
            "usdm", created[i], created[i], Status.ACTIVE.value, None, None, None, None,
        ))  # fmt: skip
        events.append((pk, "created", created[i], "api", None, json.dumps({"created_at": iso[i]})))
    return rows, events


def fill(url: str, signals: SignalArrays) -> float:
    """A fresh store (migrated by opening it) holding the open signals; seconds taken."""
    started = time.perf_counter()
    with Tracker.open(settings=settings_of(url)):
        pass
    engine = create_store_engine(url)
    postgres = engine.dialect.name == "postgresql"
    rows, events = signal_rows(signals, postgres)
    write = copy_postgres if postgres else insert_sqlite
    with engine.begin() as conn:
        write(conn, "signals", SIGNAL_COLUMNS, rows)
        write(conn, "signal_events", EVENT_COLUMNS, events)
        rollups.mark_all_days(conn)
    if postgres:
        postgres_after_fill(engine, ("signals", "signal_events"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return time.perf_counter() - started


# --- sigtrack -------------------------------------------------------------------------


def run_resolve(url: str, csv: Path, as_of: datetime) -> tuple[float, float, str]:
    """`sigtrack resolve` in a process of its own: (seconds, CPU seconds, what it printed)."""
    command = [str(Path(sys.executable).with_name("sigtrack"))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGTRACK_")}
    args = [*command, "--db", url, "resolve", "--candles", str(csv), "--symbol", SYMBOL,
            "--as-of", as_of.isoformat()]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"sigtrack resolve failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu, done.stdout


def reference_outcomes(signals: SignalArrays, candles: Candles) -> OutcomeBatch:
    batch = SignalBatch.from_arrays(
        is_long=signals.is_long, entry=signals.entry, stop=signals.stop,
        targets=signals.targets, created_ms=signals.created_ms, life_ms=signals.life_ms,
        policy=POLICY,
    )  # fmt: skip
    return settle_many(batch, candles, POLICY)


def check_store(url: str, outcomes: OutcomeBatch) -> int:
    """Every stored close equals the engine's in this process; returns the closed count."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT id, status, result, exit_reason, pnl_pct FROM signals ORDER BY id")
        ).all()
    engine.dispose()
    closed = outcomes.is_closed
    bad = 0
    for (pk, status, result, reason, pnl), i in zip(stored, range(len(outcomes)), strict=True):
        assert pk == i + 1
        if bool(closed[i]) != (status == "CLOSED"):
            bad += 1
            continue
        if status == "CLOSED":
            o = outcomes.outcome(i)
            assert o.result is not None and o.exit_reason is not None
            if (result, reason) != (o.result.value, o.exit_reason.value) or pnl != o.pnl_pct:
                bad += 1
    if bad:
        raise AssertionError(f"{bad} stored outcomes differ from the engine's")
    return int(closed.sum())


# --- the plain writers ------------------------------------------------------------------


@dataclass(slots=True)
class PlainRows:
    closes: list[tuple[Any, ...]]  # the 12 columns, then the primary key
    events: list[tuple[Any, ...]]


CLOSE_COLUMNS = ("status", "result", "exit_reason", "pnl_pct", "closed_at", "r_multiple",
                 "mfe_pct", "mae_pct", "ambiguous", "rule", "tp1_hit_at", "outcome")  # fmt: skip


def plain_rows(outcomes: OutcomeBatch, postgres: bool) -> PlainRows:
    """What a pass writes, as plain tuples (untimed): the closes and their events."""
    closes, events = [], []
    closed = np.flatnonzero(outcomes.is_closed)
    for i in closed.tolist():
        o = outcomes.outcome(i)
        assert o.result is not None and o.exit_reason is not None and o.closed_at_ms is not None
        closed_at = _ms_text(o.closed_at_ms, postgres)
        tp1 = o.legs[0].hit_ms
        closes.append((
            "CLOSED", o.result.value, o.exit_reason.value, o.pnl_pct, closed_at, o.r_multiple,
            o.mfe_pct, o.mae_pct, o.is_ambiguous, o.rule,
            None if tp1 is None else _ms_text(tp1, postgres), json.dumps(o.to_json()), i + 1,
        ))  # fmt: skip
        for n, leg in enumerate(o.legs, start=1):
            if leg.hit_ms is not None:
                data = json.dumps({"target": n, "price": leg.target})
                events.append((i + 1, "tp_hit", _ms_text(leg.hit_ms, postgres), "monitor", None,
                               data))  # fmt: skip
        data = json.dumps({
            "result": o.result.value, "exit_reason": o.exit_reason.value, "pnl_pct": o.pnl_pct,
            "r_multiple": o.r_multiple, "ambiguous": "yes" if o.is_ambiguous else "no",
            "rule": o.rule,
        })  # fmt: skip
        events.append((i + 1, "closed", closed_at, "monitor", "settled from candles", data))
    return PlainRows(closes, events)


def _ms_text(ms: int, postgres: bool) -> str:
    return _time_texts(np.array([ms // 1000]), postgres)[0]


def plain_sqlite(path: Path, rows: PlainRows) -> tuple[float, float]:
    """(seconds, CPU seconds) of the plain sqlite3 writer."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    sets = ", ".join(f"{c} = ?" for c in CLOSE_COLUMNS)
    marks = ", ".join("?" for _ in EVENT_COLUMNS)
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"UPDATE signals SET {sets} WHERE id = ?", rows.closes)
    conn.executemany(
        f"INSERT INTO signal_events ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})", rows.events
    )
    conn.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return seconds, cpu


def plain_postgres(url: str, rows: PlainRows, how: str) -> float:
    """psycopg alone: `executemany` (pipelined) or COPY into a temp table + UPDATE … FROM."""
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            if how == "executemany":
                sets = ", ".join(f"{c} = %s" for c in CLOSE_COLUMNS)
                cur.executemany(f"UPDATE signals SET {sets} WHERE id = %s", rows.closes)
            else:
                cur.execute(
                    "CREATE TEMP TABLE closes (status text, result text, exit_reason text, "
                    "pnl_pct float8, closed_at timestamptz, r_multiple float8, mfe_pct float8, "
                    "mae_pct float8, ambiguous bool, rule text, tp1_hit_at timestamptz, "
                    "outcome json, id bigint) ON COMMIT DROP"
                )
                with cur.copy("COPY closes FROM STDIN") as copy:
                    for row in rows.closes:
                        copy.write_row(row)
                sets = ", ".join(f"{c} = c.{c}" for c in CLOSE_COLUMNS)
                cur.execute(f"UPDATE signals s SET {sets} FROM closes c WHERE s.id = c.id")
            with cur.copy(f"COPY signal_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for row in rows.events:
                    copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


# --- the monitor's pass ---------------------------------------------------------------------


def monitor_passes(folder: Path, candles: Candles, n: int, passes: int) -> dict[str, Any]:
    """`n` open signals in the last hours of the data, already settled up to a minute; then
    `passes` passes each reading one more minute, timed one by one."""
    day = candles.between(int(candles.open_time_ms[-1440]), int(candles.open_time_ms[-1]) + 1)
    csv = folder / "monitor-day.csv"
    write_candles_csv(day, csv)
    url = f"sqlite:///{folder / 'monitor.db'}"
    rng = np.random.default_rng(11)
    end_ms = int(day.open_time_ms[-1]) - passes * 60_000
    signals: list[dict[str, Any]] = []
    for k in range(n):
        at_ms = end_ms - int(rng.integers(5, 600)) * 60_000
        entry = float(day.open[np.searchsorted(day.open_time_ms, at_ms)])
        sign = 1 if k % 2 else -1
        signals.append({
            "symbol": SYMBOL, "side": "LONG" if sign > 0 else "SHORT", "timeframe": "1h",
            "entry": entry, "tp1": round(entry * (1 + sign * 0.02), 2),
            "tp2": round(entry * (1 + sign * 0.04), 2), "sl": round(entry * (1 - sign * 0.02), 2),
            "created_at": datetime.fromtimestamp(at_ms / 1000 + k * 1e-3, UTC).isoformat(),
        })  # fmt: skip
    with Tracker.open(settings=settings_of(url)) as tracker:
        tracker.track_many(signals)
        service = tracker.settler(candles=csv, symbol=SYMBOL)
        start = datetime.fromtimestamp(end_ms / 1000, UTC)
        first = service.run_pass(now=start)
        runs = []
        for minute in range(1, passes + 1):
            started = time.perf_counter()
            report = service.run_pass(now=start + timedelta(minutes=minute))
            runs.append(time.perf_counter() - started)
    return {
        "signals": n,
        "checked_first_pass": first.checked,
        "still_open_last_pass": report.still_open,
        "passes": passes,
        "median_ms": 1000 * statistics.median(runs),
        "max_ms": 1000 * max(runs),
    }


# --- a run ---------------------------------------------------------------------------------


@contextmanager
def store_urls(backend: str, folder: Path, pg_url: str) -> Iterator[tuple[str, str]]:
    """Two fresh stores: the one sigtrack settles, the one the plain writer writes."""
    if backend == "sqlite":
        yield (f"sqlite:///{folder / 'sigtrack.db'}", f"sqlite:///{folder / 'plain.db'}")
        return
    with (
        fresh_postgres_database(pg_url, prefix="sigtrack_e2e") as one,
        fresh_postgres_database(pg_url, prefix="sigtrack_e2e") as two,
    ):
        yield one, two


def run_backend(
    backend: str, folder: Path, csv: Path, signals: SignalArrays, outcomes: OutcomeBatch,
    as_of: datetime, pg_url: str,
) -> dict[str, Any]:  # fmt: skip
    n = len(signals)
    with store_urls(backend, folder, pg_url) as (url, plain_url):
        console.print(f"[{backend}] filling two stores with {n:,} open signals …")
        fill_s = fill(url, signals)
        fill(plain_url, signals)
        rows = plain_rows(outcomes, backend == "postgresql")
        console.print(f"[{backend}] sigtrack resolve …")
        seconds, cpu, output = run_resolve(url, csv, as_of)
        closed = check_store(url, outcomes)
        plain_cpu = None
        if backend == "sqlite":
            plain_s, plain_cpu = plain_sqlite(folder / "plain.db", rows)
            plain = {"executemany": plain_s}
        else:
            plain = {"executemany": plain_postgres(plain_url, rows, "executemany")}
            with fresh_postgres_database(pg_url, prefix="sigtrack_e2e") as again:
                fill(again, signals)
                plain["copy + update from"] = plain_postgres(again, rows, "copy")
    best = min(plain, key=lambda how: plain[how])
    ours, theirs = n / seconds, len(rows.closes) / plain[best]
    return {
        "signals": n,
        "closed": closed,
        "events": len(rows.events),
        "fill_s": round(fill_s, 2),
        "sigtrack_s": seconds,
        "sigtrack_cpu_s": cpu,
        "sigtrack_per_s": ours,
        "plain_cpu_s": plain_cpu,  # the client's CPU (SQLite does its work in the client)
        "cpu_ratio": None if plain_cpu is None else plain_cpu / cpu,
        "plain_s": plain,
        "plain_best": best,
        "plain_per_s": theirs,
        "ratio": ours / theirs,
        "output_tail": output.splitlines()[-3:],
        "output_lines": len(output.splitlines()),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("SIGTRACK_BENCH_PG_URL",
                                                           DEFAULT_PG_URL))  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--monitor-signals", type=int, default=300)
    parser.add_argument("--monitor-passes", type=int, default=20)
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/…)")
    return parser.parse_args(argv)


def print_results(results: dict[str, Any]) -> None:
    for backend, r in results["backends"].items():
        if "skipped" in r:
            console.print(f"{backend}: skipped ({r['skipped']})")
            continue
        plain = ", ".join(f"{how} {s:.2f} s" for how, s in r["plain_s"].items())
        verdict = "met" if r["ratio"] >= TARGET_RATIO else "MISSED"
        console.print(
            f"{backend}: sigtrack resolve {r['signals']:,} signals in {r['sigtrack_s']:.2f} s "
            f"= {r['sigtrack_per_s']:,.0f}/s (process start to exit; {r['closed']:,} closed, "
            f"{r['events']:,} events, {r['output_lines']} lines printed)\n"
            f"    plain writer of the same rows: {plain} → {r['plain_per_s']:,.0f}/s "
            f"({r['plain_best']})\n"
            f"    ratio {r['ratio']:.2f} (target ≥ {TARGET_RATIO}: {verdict}); CPU: sigtrack "
            f"{r['sigtrack_cpu_s']:.2f} s"
            + (
                ""
                if r["plain_cpu_s"] is None
                else f", plain {r['plain_cpu_s']:.2f} s, ratio {r['cpu_ratio']:.2f}"
            ),
            highlight=False,
        )
    m = results["monitor"]
    console.print(
        f"monitor pass over {m['signals']} open signals, one new minute each: median "
        f"{m['median_ms']:.1f} ms, worst {m['max_ms']:.1f} ms ({m['passes']} passes)",
        highlight=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    now = datetime.now(UTC)
    machine = base_machine_info()
    results: dict[str, Any] = {"backends": {}}
    with tempfile.TemporaryDirectory(prefix="sigtrack-e2e-") as tmp:
        folder = Path(tmp)
        candles = year_of_candles(args.seed)
        csv = folder / f"{SYMBOL}.csv"
        write_candles_csv(candles, csv)
        signals = draw_signals(candles, args.signals, args.seed, SCENARIOS["hold200"])
        order = np.argsort(signals.created_ms, kind="stable")  # as a bot creates them
        signals = signals.take(order)
        outcomes = reference_outcomes(signals, candles)
        as_of = datetime.fromtimestamp((int(candles.open_time_ms[-1]) + 60_000) / 1000, UTC)
        for backend in args.backends.split(","):
            try:
                results["backends"][backend] = run_backend(
                    backend, folder, csv, signals, outcomes, as_of, args.pg_url
                )
            except Skipped as exc:
                results["backends"][backend] = {"skipped": str(exc)}
        results["monitor"] = monitor_passes(
            folder, candles, args.monitor_signals, args.monitor_passes
        )
    machine["load_average_end"] = os.getloadavg()
    print_results(results)
    path = args.out or BENCH_DIR / "results" / f"settle-e2e-{now:%Y-%m-%d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"date": now.isoformat(timespec="seconds"), "seed": args.seed,
                "machine": machine, "results": results}  # fmt: skip
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
