"""Store benchmark: sigtrack on SQLite and PostgreSQL beside the old JSONL tracker.

    .venv/bin/python bench/store.py [--quick] [--rows N] [--backends sqlite,postgresql,jsonl]

Measures, in one run: `Tracker.track` latency one by one (p50, p99), `track_many`
throughput, then, in a store of `--rows` signals (1,000,000 by default), `close` latency
and `winrate(30)` / `winrate(7)` time; and the same operations done the old way
(`bench/legacy_tracker.py`: append to JSONL, rewrite the active file on every update,
scan the completed file for the winrate). Prints a table against the targets of issue 2
and writes `bench/results/store-<date>.json`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import Pool

import legacy_tracker
from sigtrack import Tracker
from sigtrack.adapters.storage import create_store_engine, rollups
from sigtrack.adapters.storage.tables import signals
from sigtrack.config import Settings, mask_url
from sigtrack.core.signals import derive_tags

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql", "jsonl")
console = Console()
if not console.is_terminal:
    console = Console(width=150)


# --- what to run ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Params:
    rows: int  # signals in the big store (and lines in the old completed file)
    track_calls: int  # one-by-one track calls on a fresh store
    batches: tuple[tuple[int, int], ...]  # (batch size, how many batches) for track_many
    closes: int  # closes of random open signals in the big store
    winrate_runs: int
    track_at_rows_calls: int  # one-by-one track calls in the big store
    collisions: int  # track calls whose id is already taken, in the big store
    legacy_active: int  # open signals in the old active file
    legacy_updates: int
    legacy_winrate_runs: int
    legacy_big_active: int  # a second, bigger active file for a few updates
    legacy_big_updates: int


FULL = Params(
    rows=1_000_000,
    track_calls=2_000,
    batches=((1_000, 10), (10_000, 3)),
    closes=500,
    winrate_runs=20,
    track_at_rows_calls=500,
    collisions=20,
    legacy_active=30_000,
    legacy_updates=50,
    legacy_winrate_runs=3,
    legacy_big_active=300_000,
    legacy_big_updates=3,
)
QUICK = Params(
    rows=50_000,
    track_calls=300,
    batches=((1_000, 1), (5_000, 1)),
    closes=100,
    winrate_runs=5,
    track_at_rows_calls=100,
    collisions=5,
    legacy_active=3_000,
    legacy_updates=10,
    legacy_winrate_runs=2,
    legacy_big_active=20_000,
    legacy_big_updates=2,
)

# Targets of issue 2 (SQLite, this 2-core machine): metric -> (comparison, bound).
TARGETS: dict[str, tuple[str, float]] = {
    "track_p50_ms": ("<=", 1.0),
    "track_p99_ms": ("<=", 5.0),
    "track_many_*_per_s": (">=", 20_000),  # every batch size
    "track_big_p50_ms": ("<=", 1.0),  # the same targets, in the big store
    "track_big_p99_ms": ("<=", 5.0),
    "close_p50_ms": ("<=", 2.0),
    "winrate30_ms": ("<=", 100.0),
}


# --- realistic signals -----------------------------------------------------------------

SYMBOLS = {
    "BTCUSDT": 65_000.0, "ETHUSDT": 3_400.0, "SOLUSDT": 150.0, "BNBUSDT": 600.0,
    "XRPUSDT": 0.6, "DOGEUSDT": 0.15, "ADAUSDT": 0.45, "AVAXUSDT": 35.0, "LINKUSDT": 15.0,
    "DOTUSDT": 7.0, "LTCUSDT": 80.0, "TRXUSDT": 0.12, "ATOMUSDT": 9.0, "NEARUSDT": 6.0,
    "APTUSDT": 9.0, "ARBUSDT": 1.1, "OPUSDT": 2.3, "SUIUSDT": 1.5, "INJUSDT": 25.0,
    "TIAUSDT": 10.0, "FILUSDT": 5.0, "ETCUSDT": 25.0, "PEPEUSDT": 0.00001, "WIFUSDT": 2.5,
}  # fmt: skip
SYMBOL_NAMES = tuple(SYMBOLS)
SYMBOL_PRICES = np.array([SYMBOLS[s] for s in SYMBOL_NAMES])
TIMEFRAMES = ("5m", "15m", "15m", "1h", "4h")
REASON_SETS = (
    ("Near demand zone", "Dip: -3.2%"),
    ("Near supply zone", "Pump: +4.1%"),
    ("Momentum breakout", "Volume spike x3"),
    ("Bullish reversal", "RSI oversold (27)"),
    ("Bearish reversal", "RSI overbought (74)"),
    ("Near demand zone", "Momentum up", "EMA50 reclaimed"),
)
REASONS_JSON = [json.dumps(list(r)) for r in REASON_SETS]
TAGS_JSON = [json.dumps(list(derive_tags(r))) for r in REASON_SETS]
RECEIVERS_PER_SIGNAL = 5
YEAR_S = 365 * 86_400


def _levels(entry: float, risk: float, side: str) -> tuple[float, float, float, float]:
    sign = 1.0 if side == "LONG" else -1.0
    return (
        float(f"{entry:.8g}"),
        float(f"{entry * (1 + sign * risk):.8g}"),
        float(f"{entry * (1 + 2 * sign * risk):.8g}"),
        float(f"{entry * (1 - sign * risk):.8g}"),
    )


def bot_signal(rng: np.random.Generator, symbol: str | None = None) -> dict[str, Any]:
    """A signal dict as the bot builds it (DESIGN §1)."""
    symbol = symbol or SYMBOL_NAMES[int(rng.integers(len(SYMBOL_NAMES)))]
    side = "LONG" if rng.random() < 0.6 else "SHORT"
    entry, tp1, tp2, sl = _levels(
        SYMBOLS[symbol] * (1 + 0.05 * rng.standard_normal()), rng.uniform(0.01, 0.03), side
    )
    return {
        "symbol": symbol,
        "timeframe": TIMEFRAMES[int(rng.integers(len(TIMEFRAMES)))],
        "side": side,
        "confidence": int(rng.integers(70, 96)),
        "reasons": list(REASON_SETS[int(rng.integers(len(REASON_SETS)))]),
        "price": entry,
        "entry_price": entry,
        "tp1": tp1,
        "tp2": tp2,
        "sl": sl,
    }


class Users:
    """Telegram user ids: the bench's live calls and the bulk fill use disjoint pools,
    so that their `{user}_{SYMBOL}_{seconds}` ids never meet by accident."""

    def __init__(self, rng: np.random.Generator, first: int, size: int = 400) -> None:
        self.rng = rng
        self.pool = first + rng.choice(900_000_000, size=size, replace=False)

    def receivers(self) -> list[int]:
        return [int(u) for u in self.rng.choice(self.pool, RECEIVERS_PER_SIGNAL, replace=False)]


class Timeline:
    """Distinct creation seconds for the live calls, spread evenly over the year before
    `now` like the bulk-filled signals (so they do not crowd the winrate windows)."""

    def __init__(self, now: datetime, capacity: int) -> None:
        self.start = now - timedelta(seconds=YEAR_S)
        self.step = max(1, YEAR_S // max(1, capacity))
        self.count = 0

    def next(self) -> datetime:
        self.count += 1
        return self.start + timedelta(seconds=self.count * self.step)


# --- timing ----------------------------------------------------------------------------


def time_calls(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Run each call once; the duration of each, in milliseconds."""
    out = []
    for call in calls:
        start = time.perf_counter_ns()
        call()
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def pct(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def latency(prefix: str, samples: Sequence[float]) -> dict[str, float]:
    return {
        f"{prefix}_p50_ms": pct(samples, 50),
        f"{prefix}_p99_ms": pct(samples, 99),
        f"{prefix}_max_ms": max(samples),
    }


class Recorder:
    """Statements sent while active. Through SQLAlchemy: with their parameters and the
    time spent inside the DBAPI `execute`. On SQLite also every statement the connection
    runs (its trace callback), which includes those sigtrack sends on the raw cursor and
    BEGIN / COMMIT; there `sql` is the statement with its values inlined."""

    def __init__(self) -> None:
        self.core: list[tuple[str, Any]] = []
        self.traced: list[str] = []
        self.core_driver_ms = 0.0

    def before(self, conn: Any, _cursor: Any, _stmt: str, _params: Any, *_: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter_ns()

    def after(self, conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self.core_driver_ms += (time.perf_counter_ns() - conn.info.pop("bench_t0")) / 1e6
        self.core.append((statement, params))

    def checkout(self, dbapi_conn: Any, *_: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.set_trace_callback(self.traced.append)

    def checkin(self, dbapi_conn: Any, *_: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.set_trace_callback(None)

    @property
    def statements(self) -> list[str]:
        return self.traced or [s for s, _ in self.core]

    def find(self, needle: str) -> tuple[str, Any] | None:
        """The last statement containing `needle`: (sql, parameters); None parameters when
        the values are inlined (traced on SQLite)."""
        found = [s for s in self.core if needle in s[0]]
        found += [(s, None) for s in self.traced if needle in s and not found]
        return found[-1] if found else None


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    listeners = [
        (Engine, "before_cursor_execute", recorder.before),
        (Engine, "after_cursor_execute", recorder.after),
        (Pool, "checkout", recorder.checkout),
        (Pool, "checkin", recorder.checkin),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        yield recorder
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)


# --- the bulk fill ---------------------------------------------------------------------

SIGNAL_COLUMNS = (
    "id", "signal_id", "user_id", "symbol", "side", "timeframe", "entry", "targets", "sl",
    "confidence", "reasons", "tags", "strategy", "source", "exchange", "market",
    "created_at", "recorded_at", "status", "result", "exit_reason", "pnl_pct", "closed_at",
)  # fmt: skip
EVENT_COLUMNS = ("signal_pk", "kind", "at", "actor", "note", "data")
DELIVERY_COLUMNS = ("signal_pk", "user_id", "position")
FILL_CHUNK = 50_000


@dataclass(slots=True)
class Chunk:
    signals: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    deliveries: list[tuple[Any, ...]]
    open_ids: list[str]
    samples: list[tuple[str, int, datetime]]  # (symbol, first receiver, created_at)


def _time_texts(seconds: np.ndarray, postgres: bool) -> list[str]:
    """UTC instants as the store keeps them: naive UTC text on SQLite (the format
    SQLAlchemy's DateTime writes), timestamptz input on PostgreSQL."""
    texts = np.datetime_as_string(seconds.astype("datetime64[s]").astype("datetime64[us]"))
    suffix = "+00" if postgres else ""
    return [t.replace("T", " ") + suffix for t in texts.tolist()]


def _iso_texts(seconds: np.ndarray) -> list[str]:
    """`datetime.isoformat()` of aware UTC instants (what events keep in their data)."""
    return [t + "+00:00" for t in np.datetime_as_string(seconds.astype("datetime64[s]")).tolist()]


def _outcomes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """~70 % closed: of those 50 % WIN, 35 % LOSS, 15 % EXPIRED, with a PnL."""
    closed = rng.random(n) < 0.70
    draw = rng.random(n)
    result = np.where(draw < 0.50, "WIN", np.where(draw < 0.85, "LOSS", "EXPIRED"))
    exit_reason = np.where(
        result == "WIN",
        np.where(rng.random(n) < 0.6, "TP1_BE", "TP2"),
        np.where(result == "LOSS", "SL", "TIMEOUT"),
    )
    pnl = np.where(
        result == "WIN",
        rng.uniform(0.5, 4.0, n),
        np.where(result == "LOSS", rng.uniform(-3.0, -0.5, n), rng.uniform(-1.0, 1.0, n)),
    ).round(3)
    return closed, result, exit_reason, pnl


def make_chunk(
    lo: int, hi: int, rows: int, first_pk: int, now: datetime, rng: np.random.Generator,
    users: np.ndarray, postgres: bool,
) -> Chunk:  # fmt: skip
    """Signals lo..hi of `rows`, spread over the 365 days before `now`, one second apart
    at least (so their old-style ids are distinct)."""
    n = hi - lo
    now_s = int(now.timestamp())
    created = now_s - YEAR_S + np.floor((np.arange(lo, hi) + rng.random(n)) * YEAR_S / rows)
    created = created.astype(np.int64)
    closed_at = np.minimum(created + rng.integers(900, 2 * 86_400, n), now_s)
    symbol = rng.integers(len(SYMBOL_NAMES), size=n)
    is_long = rng.random(n) < 0.6
    sign = np.where(is_long, 1.0, -1.0)
    entry = SYMBOL_PRICES[symbol] * (1 + 0.05 * rng.standard_normal(n))
    risk = rng.uniform(0.01, 0.03, n)
    tp1, tp2, sl = (
        entry * (1 + sign * risk),
        entry * (1 + 2 * sign * risk),
        entry * (1 - sign * risk),
    )
    reasons = rng.integers(len(REASON_SETS), size=n)
    timeframe = rng.integers(len(TIMEFRAMES), size=n)
    confidence = rng.integers(70, 96, size=n)
    first_user = rng.integers(len(users), size=n)
    closed, result, exit_reason, pnl = _outcomes(rng, n)
    created_txt, closed_txt = _time_texts(created, postgres), _time_texts(closed_at, postgres)
    created_iso, closed_iso = _iso_texts(created), _iso_texts(closed_at)

    chunk = Chunk([], [], [], [], [])
    for i in range(n):
        pk = first_pk + lo + i
        sym = SYMBOL_NAMES[symbol[i]]
        user = int(users[first_user[i]])
        signal_id = f"{user}_{sym}_{created[i]}"
        is_closed = bool(closed[i])
        chunk.signals.append((
            pk, signal_id, user, sym, "LONG" if is_long[i] else "SHORT",
            TIMEFRAMES[timeframe[i]], float(entry[i]), json.dumps([float(tp1[i]), float(tp2[i])]),
            float(sl[i]), float(confidence[i]), REASONS_JSON[reasons[i]], TAGS_JSON[reasons[i]],
            "default", "autosignal", "binance", "usdm", created_txt[i], created_txt[i],
            "CLOSED" if is_closed else "ACTIVE",
            str(result[i]) if is_closed else None,
            str(exit_reason[i]) if is_closed else None,
            float(pnl[i]) if is_closed else None,
            closed_txt[i] if is_closed else None,
        ))  # fmt: skip
        chunk.events.append(
            (pk, "created", created_txt[i], "api", None,
             json.dumps({"created_at": created_iso[i]}))
        )  # fmt: skip
        if is_closed:
            data = {"result": str(result[i]), "exit_reason": str(exit_reason[i]),
                    "pnl_pct": float(pnl[i]), "closed_at": closed_iso[i]}  # fmt: skip
            chunk.events.append((pk, "closed", closed_txt[i], "monitor", None, json.dumps(data)))
        else:
            chunk.open_ids.append(signal_id)
        # Five distinct receivers: the first one names the signal, then a stride.
        for position in range(RECEIVERS_PER_SIGNAL):
            receiver = users[(first_user[i] + 37 * position) % len(users)]
            chunk.deliveries.append((pk, int(receiver), position))
        if i % 5_000 == 0:
            at = datetime.fromtimestamp(int(created[i]), UTC)
            chunk.samples.append((sym, user, at))
    return chunk


def insert_sqlite(conn: Any, table: str, columns: Sequence[str], rows: list[Any]) -> None:
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def copy_postgres(conn: Any, table: str, columns: Sequence[str], rows: list[Any]) -> None:
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


@dataclass(slots=True)
class Filled:
    seconds: float
    open_ids: list[str]
    samples: list[tuple[str, int, datetime]]
    closed: int

    def take(self, count: int) -> list[str]:
        """Open signals not handed out before (the pool is shuffled after the fill)."""
        taken, self.open_ids = self.open_ids[-count:], self.open_ids[:-count]
        return taken


def fill_store(url: str, rows: int, now: datetime, rng: np.random.Generator) -> Filled:
    """Bulk-load `rows` signals with their events and deliveries, below the API: sqlite3
    executemany / PostgreSQL COPY, values formatted as sigtrack's column types store them."""
    engine = create_store_engine(url)
    postgres = engine.dialect.name == "postgresql"
    write = copy_postgres if postgres else insert_sqlite
    users = 6_000_000_000 + rng.choice(900_000_000, size=500, replace=False)
    filled = Filled(0.0, [], [], 0)
    start = time.perf_counter()
    try:
        with engine.connect() as conn:
            first_pk = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM signals")).scalar()
        for lo in range(0, rows, FILL_CHUNK):
            hi = min(rows, lo + FILL_CHUNK)
            chunk = make_chunk(lo, hi, rows, first_pk, now, rng, users, postgres)
            with engine.begin() as conn:
                write(conn, "signals", SIGNAL_COLUMNS, chunk.signals)
                write(conn, "signal_events", EVENT_COLUMNS, chunk.events)
                write(conn, "deliveries", DELIVERY_COLUMNS, chunk.deliveries)
            filled.open_ids += chunk.open_ids
            filled.samples += chunk.samples
            filled.closed += (hi - lo) - len(chunk.open_ids)
            console.print(f"    filled {hi:,} / {rows:,}", end="\r")
        with engine.begin() as conn:  # below the API: mark the days, as sigtrack's writes do
            rollups.mark_all_days(conn)
        if postgres:
            postgres_after_fill(engine)
    finally:
        engine.dispose()
    filled.seconds = time.perf_counter() - start
    filled.open_ids = [filled.open_ids[i] for i in rng.permutation(len(filled.open_ids))]
    return filled


def postgres_after_fill(
    engine: Engine, tables: Sequence[str] = ("signals", "signal_events", "deliveries")
) -> None:
    """Advance the id sequence past the explicit ids; VACUUM ANALYZE as autovacuum would."""
    with engine.begin() as conn:
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('signals', 'id'), max(id)) FROM signals")
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


# --- one sigtrack backend --------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    metrics: dict[str, float]
    info: dict[str, Any]
    skipped: str | None = None


def bench_tracker(url: str, p: Params, rng: np.random.Generator, now: datetime) -> Outcome:
    out = Outcome({}, {})
    live = Live(rng, now, p)
    out.info["source"] = source_version()
    tracker = Tracker.open(settings=Settings(database_url=url))  # defaults, no env/TOML
    try:
        console.print("  track, one by one")
        out.metrics |= latency("track", time_calls(track_calls(tracker, live, p.track_calls)))
        console.print("  track_many")
        out.metrics |= bench_track_many(tracker, p.batches, live)
        out.info["track_anatomy"] = anatomy(track_calls(tracker, live, 200))
        console.print(f"  filling {p.rows:,} signals")
        filled = fill_store(url, p.rows, now, rng)
        out.metrics["fill_s"] = filled.seconds
        out.info["fill"] = {"rows": p.rows, "closed": filled.closed,
                            "open": p.rows - filled.closed}  # fmt: skip
        check_sample(tracker, filled)
        start = time.perf_counter()
        tracker._app.store.refresh_rollups()  # once, as an upgraded store's first reads do
        out.metrics["rollups_build_s"] = time.perf_counter() - start
        console.print("  close, winrate and track in the big store")
        closes = close_calls(tracker, filled.take(p.closes), rng, now)
        out.metrics |= latency("close", time_calls(closes))
        out.info["close_anatomy"] = anatomy(close_calls(tracker, filled.take(100), rng, now))
        out.metrics |= bench_winrate(tracker, p.winrate_runs, now, out.info)
        big = track_calls(tracker, live, p.track_at_rows_calls)
        out.metrics |= latency("track_big", time_calls(big))
        out.metrics |= bench_collisions(tracker, filled.samples[: p.collisions], live)
        out.info["plans"] = explain_all(url, tracker, filled, live)
    finally:
        tracker.dispose()
    return out


@dataclass(slots=True)
class Live:
    """What the live calls need: randomness, receivers and distinct creation seconds."""

    rng: np.random.Generator
    now: datetime
    p: Params
    users: Users = field(init=False)
    timeline: Timeline = field(init=False)

    def __post_init__(self) -> None:
        self.users = Users(self.rng, 1_000_000_000)
        p = self.p
        calls = p.track_calls + sum(size * n for size, n in p.batches) + p.track_at_rows_calls
        self.timeline = Timeline(self.now, capacity=calls + 1_000)

    def inputs(self, count: int) -> list[tuple[dict[str, Any], list[int], datetime]]:
        return [
            (bot_signal(self.rng), self.users.receivers(), self.timeline.next())
            for _ in range(count)
        ]


def track_calls(tracker: Tracker, live: Live, count: int) -> list[Callable[[], object]]:
    """`track(sig, receivers=…)` as the bot calls it, with a fixed `now`."""

    def call(sig: dict[str, Any], receivers: list[int], at: datetime) -> Callable[[], object]:
        return lambda: tracker.track(sig, receivers=receivers, created_at=at, now=live.now)

    return [call(*args) for args in live.inputs(count)]


def close_calls(
    tracker: Tracker, signal_ids: list[str], rng: np.random.Generator, now: datetime
) -> list[Callable[[], object]]:
    def call(signal_id: str, win: bool) -> Callable[[], object]:
        pnl = round(float(rng.uniform(0.5, 4.0) if win else rng.uniform(-3.0, -0.5)), 2)
        result = "win" if win else "loss"
        return lambda: tracker.close(signal_id, result=result, pnl_pct=pnl, actor="bench", now=now)

    return [call(s, bool(rng.random() < 0.6)) for s in signal_ids]


def anatomy(calls: Sequence[Callable[[], object]]) -> dict[str, Any]:
    """What a call sends: statements per call (on SQLite with BEGIN and COMMIT), those of
    them run through SQLAlchemy's execution and their time inside the driver."""
    with recording() as rec:
        start = time.perf_counter_ns()
        for call in calls:
            call()
        total_ms = (time.perf_counter_ns() - start) / 1e6
    n = len(calls)
    return {
        "statements_per_call": len(rec.statements) / n,
        "core_statements_per_call": len(rec.core) / n,
        "core_driver_ms_per_call": rec.core_driver_ms / n,
        "total_ms_per_call_while_recording": total_ms / n,
        "statements": sorted({" ".join(s.split())[:60] for s in rec.statements}),
    }


def bench_track_many(
    tracker: Tracker, batches: Sequence[tuple[int, int]], live: Live
) -> dict[str, float]:
    out = {}
    for size, count in batches:
        seconds = 0.0
        for _ in range(count):
            batch = [
                sig | {"created_at": at, "receivers": receivers}
                for sig, receivers, at in live.inputs(size)
            ]
            start = time.perf_counter()
            ids = tracker.track_many(batch, now=live.now)
            seconds += time.perf_counter() - start
            assert len(ids) == size
        out[f"track_many_{size}_per_s"] = size * count / seconds
    return out


def check_sample(tracker: Tracker, filled: Filled) -> None:
    """A bulk-loaded row reads back through the API as what was written."""
    symbol, user, at = filled.samples[-1]
    signal_id = f"{user}_{symbol}_{int(at.timestamp())}"
    record = tracker.get(signal_id)
    assert record.signal.created_at == at, (record.signal.created_at, at)
    assert record.signal.receivers[0] == user
    assert len(record.signal.receivers) == RECEIVERS_PER_SIGNAL
    assert tracker.events(signal_id)[0].data["created_at"] == at.isoformat()


def bench_winrate(tracker: Tracker, runs: int, now: datetime, info: dict[str, Any]) -> dict:
    out: dict[str, float] = {}
    for days in (30, 7):
        first = time_calls([lambda d=days: tracker.winrate(d, now=now)])[0]
        samples = time_calls([lambda d=days: tracker.winrate(d, now=now)] * runs)
        out[f"winrate{days}_ms"] = statistics.median(samples)
        out[f"winrate{days}_first_ms"] = first
        summary = tracker.winrate(days, now=now)
        info[f"winrate{days}"] = {"total": summary.total, "wins": summary.wins,
                                  "losses": summary.losses, "open": summary.open,
                                  "winrate_pct": summary.winrate_pct}  # fmt: skip
        check_winrate(tracker, summary, now)
    return out


def check_winrate(tracker: Tracker, summary: Any, now: datetime) -> None:
    """The timed winrate must be the one counting every row gives (a store filled below
    the API whose days were not marked would read incomplete rollups, and fast)."""
    c = signals.c
    query = (
        select(c.status, c.result, func.count())
        .where(c.created_at >= summary.since, c.created_at <= now)
        .group_by(c.status, c.result)
    )
    with tracker._app.store.engine.connect() as conn:
        counted = {(status, result): n for status, result, n in conn.execute(query)}
    wins, losses = counted.get(("CLOSED", "WIN"), 0), counted.get(("CLOSED", "LOSS"), 0)
    still_open = sum(n for (status, _), n in counted.items() if status == "ACTIVE")
    got = (summary.wins, summary.losses, summary.open)
    if got != (wins, losses, still_open):
        raise AssertionError(
            f"winrate({summary.days}) counted {got} (wins, losses, open); "
            f"the rows say {(wins, losses, still_open)}"
        )


def bench_collisions(
    tracker: Tracker, samples: Sequence[tuple[str, int, datetime]], live: Live
) -> dict[str, float]:
    """track() of a signal whose `{user}_{SYMBOL}_{seconds}` id is taken (gets `_2`)."""

    def call(symbol: str, user: int, at: datetime) -> Callable[[], object]:
        sig = bot_signal(live.rng, symbol)
        receivers = [user, *live.users.receivers()[1:]]
        return lambda: tracker.track(sig, receivers=receivers, created_at=at, now=live.now)

    samples_ms = time_calls([call(*s) for s in samples])
    return {"track_collision_ms": statistics.median(samples_ms)}


# --- query plans ----------------------------------------------------------------------


def explain_all(url: str, tracker: Tracker, filled: Filled, live: Live) -> dict[str, str]:
    """The plans of the statements behind winrate, close and a colliding track (for the
    latter, its last lookup of taken ids)."""
    symbol, user, at = filled.samples[0]
    now = live.now
    with recording() as rec:
        tracker.winrate(30, now=now)
        tracker.close(filled.take(1)[0], result="win", pnl_pct=1.0, actor="bench", now=now)
        tracker.track(bot_signal(live.rng, symbol), receivers=[user], created_at=at, now=now)
    wanted = {
        "winrate": "signals.created_at >=",
        "close_lookup": "WHERE signals.signal_id =",
        "receivers": "FROM deliveries",
        "collision_suffixes": "signals.signal_id IN (",
    }
    engine = create_store_engine(url)
    plans = {}
    try:
        with engine.connect() as conn:
            for name, needle in wanted.items():
                found = rec.find(needle)
                if found is not None:
                    plans[name] = explain(conn, *found)
    finally:
        engine.dispose()
    return plans


def explain(conn: Any, statement: str, params: Any) -> str:
    if conn.dialect.name == "postgresql":
        sql = f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}"
    else:
        sql = f"EXPLAIN QUERY PLAN {statement}"
    rows = conn.exec_driver_sql(sql, params).all() if params else conn.exec_driver_sql(sql).all()
    return "\n".join(" ".join(str(c) for c in row[-1:]) for row in rows)


# --- PostgreSQL: a database of our own -------------------------------------------------


class Skipped(Exception):
    pass


@contextmanager
def fresh_postgres_database(
    admin_url: str, *, prefix: str = "sigtrack_bench", keep: bool = False
) -> Iterator[str]:
    """A new database `<prefix>_<random>` for the run, dropped afterwards unless `keep`."""
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except SQLAlchemyError as exc:
        admin.dispose()
        raise Skipped(
            f"PostgreSQL unreachable at {mask_url(admin_url)}: {exc.orig or exc}"
        ) from None
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            console.print(f"  kept the PostgreSQL database {name}")
        else:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def postgres_version(admin_url: str) -> str | None:
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    except SQLAlchemyError:
        return None


# --- the old way ------------------------------------------------------------------------


def _legacy_record(signal_id: str, at: datetime, user: int, sig: dict[str, Any]) -> dict[str, Any]:
    return {
        "signal_id": signal_id, "timestamp": at.isoformat(), "user_id": user,
        "symbol": sig["symbol"], "timeframe": sig["timeframe"], "signal_type": sig["side"],
        "entry_price": sig["entry_price"], "tp1": sig["tp1"], "tp2": sig["tp2"], "sl": sig["sl"],
        "status": "ACTIVE",
    }  # fmt: skip


def write_legacy_files(
    directory: Path, completed: int, active: int, rng: np.random.Generator
) -> list[str]:
    """The old files as the old tracker left them: `completed` closed signals over a
    year, `active` open ones over the last 30 days; naive local timestamps."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).astimezone().replace(tzinfo=None)  # naive local, as the old code
    users = 6_000_000_000 + rng.choice(900_000_000, size=500, replace=False)
    sig = bot_signal(rng)
    with (directory / "completed_signals.jsonl").open("w", encoding="utf-8") as f:
        offsets = np.sort(rng.uniform(0, YEAR_S, completed))[::-1]
        for offset in offsets.tolist():
            if rng.random() < 0.01:
                sig = bot_signal(rng)
            at = now - timedelta(seconds=offset)
            user = int(users[int(rng.integers(len(users)))])
            record = _legacy_record(f"{user}_{sig['symbol']}_{int(at.timestamp())}", at, user, sig)
            win = rng.random() < 0.59
            closed_at = at + timedelta(seconds=float(rng.uniform(900, 172_800)))
            record |= {"status": "CLOSED", "result": "WIN" if win else "LOSS",
                       "pnl_percent": round(float(rng.uniform(0.5, 4) if win
                                                  else rng.uniform(-3, -0.5)), 2),
                       "closed_at": closed_at.isoformat()}  # fmt: skip
            f.write(json.dumps(record) + "\n")
    return append_active(directory, active, rng, users, now)


def append_active(
    directory: Path, count: int, rng: np.random.Generator, users: np.ndarray, now: datetime
) -> list[str]:
    ids = []
    with (directory / "active_signals.jsonl").open("a", encoding="utf-8") as f:
        for offset in np.sort(rng.uniform(0, 30 * 86_400, count))[::-1].tolist():
            at = now - timedelta(seconds=offset)
            user = int(users[int(rng.integers(len(users)))])
            sig = bot_signal(rng)
            signal_id = f"{user}_{sig['symbol']}_{int(at.timestamp())}_{len(ids)}"
            f.write(json.dumps(_legacy_record(signal_id, at, user, sig)) + "\n")
            ids.append(signal_id)
    return ids


def bench_legacy(p: Params, rng: np.random.Generator) -> Outcome:
    out = Outcome({}, {})
    users = Users(rng, 1_000_000_000)
    with tempfile.TemporaryDirectory(prefix="sigtrack-bench-legacy-") as tmp:
        legacy_tracker.LOG_DIR = Path(tmp) / "track" / "signal_logs"
        console.print("  track_signal_given, one by one and in loops")
        out.metrics |= latency("track", time_calls(legacy_calls(p.track_calls, rng, users)))
        for size, count in p.batches:
            calls = legacy_calls(size * count, rng, users)
            start = time.perf_counter()
            time_calls(calls)
            out.metrics[f"track_many_{size}_per_s"] = len(calls) / (time.perf_counter() - start)

        legacy_tracker.LOG_DIR = Path(tmp) / "store" / "signal_logs"
        console.print(f"  writing {p.rows:,} completed and {p.legacy_active:,} active lines")
        start = time.perf_counter()
        active_ids = write_legacy_files(legacy_tracker.LOG_DIR, p.rows, p.legacy_active, rng)
        out.metrics["fill_s"] = time.perf_counter() - start
        console.print("  update_signal_outcome, get_current_winrate")
        out.metrics |= latency("close", legacy_updates(active_ids, p.legacy_updates, rng))
        out.metrics |= legacy_winrate(p.legacy_winrate_runs, out.info)

        more = p.legacy_big_active - (p.legacy_active - p.legacy_updates)
        users_b = 7_000_000_000 + rng.choice(900_000_000, size=500, replace=False)
        now = datetime.now(UTC).astimezone().replace(tzinfo=None)
        big_ids = append_active(legacy_tracker.LOG_DIR, more, rng, users_b, now)
        samples = legacy_updates(big_ids, p.legacy_big_updates, rng)
        out.metrics["close_big_active_ms"] = statistics.median(samples)
        out.info["big_active_lines"] = p.legacy_big_active
    return out


def legacy_calls(count: int, rng: np.random.Generator, users: Users) -> list[Callable[[], object]]:
    def call(sig: dict[str, Any], user: int) -> Callable[[], object]:
        return lambda: legacy_tracker.track_signal_given(
            user_id=user, symbol=sig["symbol"], timeframe=sig["timeframe"],
            entry_price=sig["entry_price"], tp1=sig["tp1"], tp2=sig["tp2"], sl=sig["sl"],
            signal_type=sig["side"],
        )  # fmt: skip

    return [call(bot_signal(rng), users.receivers()[0]) for _ in range(count)]


def legacy_updates(ids: list[str], count: int, rng: np.random.Generator) -> list[float]:
    chosen = [ids[i] for i in rng.choice(len(ids), size=count, replace=False)]

    def call(signal_id: str, win: bool) -> Callable[[], object]:
        pnl = round(float(rng.uniform(0.5, 4.0) if win else rng.uniform(-3.0, -0.5)), 2)
        return lambda: legacy_tracker.update_signal_outcome(signal_id, win, pnl)

    return time_calls([call(s, rng.random() < 0.6) for s in chosen])


def legacy_winrate(runs: int, info: dict[str, Any]) -> dict[str, float]:
    out = {}
    for days in (30, 7):
        answers: list[Any] = []
        samples = time_calls(
            [lambda d=days, a=answers: a.append(legacy_tracker.get_current_winrate(d))] * runs
        )
        out[f"winrate{days}_ms"] = statistics.median(samples)
        out[f"winrate{days}_first_ms"] = samples[0]
        info[f"winrate{days}"] = answers[-1]
    return out


# --- report ------------------------------------------------------------------------------


def base_machine_info() -> dict[str, Any]:
    """The machine, the Python and the commit measured: what every benchmark records."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in read_lines("/proc/cpuinfo")
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kb = next(
        (int(line.split()[1]) for line in read_lines("/proc/meminfo") if "MemTotal" in line), 0
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": os.getloadavg(),
        "source_start": source_version(),
    }


def machine_info(pg_url: str) -> dict[str, Any]:
    return base_machine_info() | {
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": version("sqlalchemy"),
        "psycopg": version("psycopg"),
        "postgresql": postgres_version(pg_url),
    }


def source_version() -> str:
    """The commit measured, and whether src/ differed from it (read-only git calls)."""
    env = os.environ | {"GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=BENCH_DIR, env=env, capture_output=True, text=True, check=False
        )

    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    dirty = git("diff", "--quiet", "HEAD", "--", "src").returncode != 0
    return head.stdout.strip() + (" + uncommitted changes in src/" if dirty else "")


def read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def target_of(metric: str) -> tuple[str, float] | None:
    if metric.startswith("track_many_"):
        return TARGETS["track_many_*_per_s"]
    return TARGETS.get(metric)


def verdict(metric: str, value: float | None) -> str:
    target = target_of(metric)
    if target is None or value is None:
        return ""
    op, bound = target
    ok = value <= bound if op == "<=" else value >= bound
    return "[green]PASS[/]" if ok else "[red]FAIL[/]"


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric.endswith("_per_s"):
        return f"{value:,.0f}/s"
    if metric.endswith("_s"):
        return f"{value:,.1f} s"
    return f"{value:,.3g} ms" if value < 100 else f"{value:,.0f} ms"


def target_text(metric: str) -> str:
    target = target_of(metric)
    if target is None:
        return ""
    op, bound = target
    return f"{'≤' if op == '<=' else '≥'} {fmt(metric, bound)}"


def rows_spec(p: Params) -> list[tuple[str, str]]:
    n = f"{p.rows:,}"
    return [
        ("track_p50_ms", f"track, one by one ({p.track_calls:,} calls) — p50"),
        ("track_p99_ms", "track — p99"),
        *(
            (f"track_many_{size}_per_s", f"track_many, batches of {size:,} (old: a loop)")
            for size, _ in p.batches
        ),
        ("fill_s", f"bulk fill of {n} signals (old: write the files)"),
        ("rollups_build_s", "daily rollups built once after the bulk fill"),
        ("close_p50_ms", f"close at {n} rows — p50 (old: update_signal_outcome)"),
        ("close_p99_ms", "close — p99"),
        ("close_big_active_ms", f"old update with {p.legacy_big_active:,} active lines"),
        ("winrate30_ms", f"winrate(30) at {n} rows — median of {p.winrate_runs}"),
        ("winrate30_first_ms", "winrate(30) — first call"),
        ("winrate7_ms", "winrate(7) — median"),
        ("track_big_p50_ms", f"track at {n} rows — p50"),
        ("track_big_p99_ms", f"track at {n} rows — p99"),
        ("track_big_max_ms", f"track at {n} rows — max"),
        ("track_collision_ms", f"track whose id is taken, at {n} rows — median"),
    ]


def print_table(p: Params, results: dict[str, Outcome]) -> None:
    table = Table(title=f"sigtrack store benchmark ({p.rows:,} rows)")
    table.add_column("operation")
    columns = [("sqlite", "SQLite"), ("postgresql", "PostgreSQL"), ("jsonl", "old (JSONL)")]
    for _, title in columns:
        table.add_column(title, justify="right")
    table.add_column("target (SQLite)", justify="right")
    table.add_column("SQLite", justify="center")
    for metric, label in rows_spec(p):
        cells = [fmt(metric, results[b].metrics.get(metric)) if b in results else "—"
                 for b, _ in columns]  # fmt: skip
        sqlite_value = results["sqlite"].metrics.get(metric) if "sqlite" in results else None
        table.add_row(label, *cells, target_text(metric), verdict(metric, sqlite_value))
    console.print(table)
    for backend, outcome in results.items():
        if outcome.skipped:
            console.print(f"[yellow]{backend} skipped:[/] {outcome.skipped}")


# --- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run for a smoke check")
    parser.add_argument("--rows", type=int, help="signals in the big store (default 1,000,000)")
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"comma list of {', '.join(BACKENDS)}"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("SIGTRACK_BENCH_PG_URL", DEFAULT_PG_URL),
        help="a PostgreSQL server database to create the bench database from",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/…)")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; choose from {', '.join(BACKENDS)}")
    if args.rows is not None and not 1_000 <= args.rows <= 30_000_000:
        parser.error("--rows must be between 1,000 and 30,000,000")
    return args


def run_backend(backend: str, p: Params, args: argparse.Namespace, now: datetime) -> Outcome:
    rng = np.random.default_rng([args.seed, BACKENDS.index(backend)])
    if backend == "jsonl":
        return bench_legacy(p, rng)
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sigtrack-bench-") as tmp:
            return bench_tracker(f"sqlite:///{tmp}/sigtrack.db", p, rng, now)
    try:
        with fresh_postgres_database(args.pg_url) as url:
            return bench_tracker(url, p, rng, now)
    except Skipped as exc:
        return Outcome({}, {}, skipped=str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    p = QUICK if args.quick else FULL
    if args.rows is not None:
        p = replace(p, rows=args.rows)
    now = datetime.now(UTC).replace(microsecond=0)
    machine = machine_info(args.pg_url)
    load = ", ".join(f"{x:.2f}" for x in machine["load_average_start"])
    console.print(
        f"machine: {machine['cpu']}, {machine['cores']} cores, load average {load}; "
        f"sigtrack {machine['source_start']}"
    )
    results: dict[str, Outcome] = {}
    started = time.perf_counter()
    for backend in args.backends:
        console.rule(backend)
        backend_start = time.perf_counter()
        results[backend] = run_backend(backend, p, args, now)
        results[backend].info["run_seconds"] = round(time.perf_counter() - backend_start, 1)
        console.print(f"  {backend} done in {results[backend].info['run_seconds']:.0f} s")
        if results[backend].skipped:
            console.print(f"[yellow]skipped:[/] {results[backend].skipped}")
    machine["load_average_end"] = os.getloadavg()
    machine["source_end"] = source_version()
    if machine["source_end"] != machine["source_start"]:
        console.print(
            f"[yellow]sigtrack changed during the run[/] ({machine['source_start']} → "
            f"{machine['source_end']}); each backend's `source` in the JSON says what it ran"
        )
    print_table(p, results)
    path = args.out or BENCH_DIR / "results" / (
        f"store-{now:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    )
    write_results(path, args, p, machine, results, time.perf_counter() - started)
    console.print(f"results written to {path}")
    return 0


def write_results(
    path: Path, args: argparse.Namespace, p: Params, machine: dict[str, Any],
    results: dict[str, Outcome], seconds: float,
) -> None:  # fmt: skip
    sqlite_metrics = results["sqlite"].metrics if "sqlite" in results else {}
    verdicts = {
        m: ("PASS" if "PASS" in verdict(m, v) else "FAIL")
        for m, v in sqlite_metrics.items()
        if target_of(m) is not None
    }
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "params": asdict(p),
        "machine": machine,
        "targets": {m: f"{op} {bound}" for m, (op, bound) in TARGETS.items()},
        "verdicts_sqlite": verdicts,
        "results": {b: asdict(o) for b, o in results.items()},
        "run_seconds": round(seconds, 1),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
