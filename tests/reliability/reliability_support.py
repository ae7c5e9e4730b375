"""The reliability runs as functions the tests (short sizes) and bench/reliability.py (full
sizes) share: kill -9 at random moments, several processes tracking and closing at once,
PostgreSQL stopped under the compat API; and `check_store`, the store's own invariants."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, Engine

from sigtrack.adapters.storage import rollups as rollup_store
from sigtrack.adapters.storage.tables import rollups
from sigtrack.config import load_settings
from sigtrack.tracker import Tracker

WORKER = Path(__file__).with_name("worker.py")


@dataclass(slots=True, kw_only=True)
class Run:
    """One scenario's figures (a row of bench/RELIABILITY.md)."""

    scenario: str
    store: str
    load: str
    faults: int = 0
    bad_inputs: int = 0
    acknowledged: int = 0
    present: int = 0
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: str = ""

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.problems


def backend(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def worker_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SIGTRACK_")}


def open_tracker(url: str, data_dir: Path) -> Tracker:
    return Tracker.open(settings=load_settings(env={}, config_file=None, database_url=url,
                                               data_dir=data_dir))  # fmt: skip


# --- the store's invariants -----------------------------------------------------------

_QUERIES = {
    "a signal without exactly one CREATED event": (
        "SELECT s.signal_id FROM signals s WHERE (SELECT count(*) FROM signal_events e "
        "WHERE e.signal_pk = s.id AND e.kind = 'created') != 1"
    ),
    "a CLOSED signal without result or closed_at": (
        "SELECT signal_id FROM signals WHERE status = 'CLOSED' "
        "AND (result IS NULL OR closed_at IS NULL)"
    ),
    "an ACTIVE signal with a result or closed_at": (
        "SELECT signal_id FROM signals WHERE status = 'ACTIVE' "
        "AND (result IS NOT NULL OR closed_at IS NOT NULL)"
    ),
    "a CLOSED signal without exactly one close event": (
        "SELECT s.signal_id FROM signals s WHERE s.status = 'CLOSED' AND (SELECT count(*) "
        "FROM signal_events e WHERE e.signal_pk = s.id AND e.kind IN ('closed', 'cancelled'))"
        " != 1"
    ),
    "an ACTIVE signal with a close event": (
        "SELECT s.signal_id FROM signals s WHERE s.status = 'ACTIVE' AND EXISTS (SELECT 1 "
        "FROM signal_events e WHERE e.signal_pk = s.id AND e.kind IN ('closed', 'cancelled'))"
    ),
    "an event of no signal": (
        "SELECT CAST(e.id AS TEXT) FROM signal_events e "
        "WHERE NOT EXISTS (SELECT 1 FROM signals s WHERE s.id = e.signal_pk)"
    ),
    "a delivery of no signal": (
        "SELECT CAST(d.signal_pk AS TEXT) FROM deliveries d "
        "WHERE NOT EXISTS (SELECT 1 FROM signals s WHERE s.id = d.signal_pk)"
    ),
}


def check_store(url: str) -> list[str]:
    """What is wrong with the store at `url` (nothing: []): SQLite's integrity check, each
    signal's events against its status, orphans, and the kept rollups against a recount."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            problems = _sqlite_checks(conn) if conn.dialect.name == "sqlite" else []
            for name, query in _QUERIES.items():
                found = [str(row[0]) for row in conn.execute(text(query))]
                if found:
                    problems.append(f"{name}: {len(found)} ({', '.join(found[:3])})")
        return problems + _rollup_problems(engine)
    finally:
        engine.dispose()


def _sqlite_checks(conn: Connection) -> list[str]:
    lines = [str(row[0]) for row in conn.execute(text("PRAGMA integrity_check"))]
    problems = [f"integrity_check: {line}" for line in lines if line != "ok"]
    broken = conn.execute(text("PRAGMA foreign_key_check")).all()
    return problems + [f"foreign_key_check: {row}" for row in broken[:3]]


def _rollup_problems(engine: Engine) -> list[str]:
    """The rollups a reader would use (stale days rebuilt) against every day recounted, in
    one transaction rolled back: the check leaves the store as it found it."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            rollup_store.refresh_all(conn)
            kept = _rollup_rows(conn)
            rollup_store.rebuild_all(conn)
            recounted = _rollup_rows(conn)
        finally:
            transaction.rollback()
    differ = sorted(set(kept) ^ set(recounted))
    return [f"rollups differ from a recount: {len(differ)} row(s) ({differ[:2]})"] if differ else []


def _rollup_rows(conn: Connection) -> list[tuple[object, ...]]:
    rows = conn.execute(select(rollups)).all()
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


def stored(url: str, ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """signal_id -> (status, result) of those of `ids` the store holds."""
    wanted = set(ids)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT signal_id, status, result FROM signals")).all()
    finally:
        engine.dispose()
    return {r[0]: (r[1], r[2]) for r in rows if r[0] in wanted}


def strategy_counts(url: str) -> Counter[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT strategy, count(*) FROM signals GROUP BY strategy"))
            return Counter({str(r[0]): int(r[1]) for r in rows})
    finally:
        engine.dispose()


# --- kill -9 --------------------------------------------------------------------------


@dataclass(slots=True)
class Acknowledged:
    """What a worker printed: ids tracked (alone or in batches) and closes."""

    tracked: list[str] = field(default_factory=list)
    closed: dict[str, str] = field(default_factory=dict)  # id -> result
    closes: int = 0  # C lines: two for one id would be a signal closed twice
    conflicts: int = 0
    journaled: int = 0
    summary: dict[str, int] = field(default_factory=dict)

    def read(self, lines: Iterable[str]) -> None:
        for line in lines:
            kind, _, rest = line.strip().partition(" ")
            if kind in ("T", "B"):
                self.tracked += rest.split()
            elif kind == "C":
                signal_id, result = rest.split()
                self.closed[signal_id] = result
                self.closes += 1
            elif kind == "X":
                self.conflicts += 1
            elif kind == "J":
                self.journaled += 1
            elif kind.startswith("{"):
                self.summary = json.loads(line)


def kill_rounds(url: str, data_dir: Path, *, rounds: int, seed: int) -> Run:
    """`rounds` times: a churn worker on the same store, killed with SIGKILL after a
    random number of acknowledged lines and a random delay (both seeded); after each kill
    the store is checked. The run's notes hold the seed and each kill's moment."""
    rng = random.Random(seed)
    run = Run(scenario="kill -9 during tracks, batches and closes", store=backend(url),
              load=f"1 × {rounds} rounds", notes=f"seed {seed}; kills after")  # fmt: skip
    began = time.perf_counter()
    moments = []
    for n in range(rounds):
        lines_before, delay_ms = rng.randint(1, 150), round(rng.uniform(0, 30), 1)
        moments.append(f"{lines_before} lines + {delay_ms} ms")
        acked = _churn_until_killed(url, data_dir, n, lines_before, delay_ms / 1000)
        run.faults += 1
        _check_round(url, acked, run, f"round {n + 1}")
    run.notes += " " + ", ".join(moments)
    run.seconds = time.perf_counter() - began
    return run


def _churn_until_killed(
    url: str, data_dir: Path, n: int, lines: int, delay_s: float
) -> Acknowledged:
    args = [sys.executable, str(WORKER), "churn", url, str(data_dir), f"r{n}", str(n * 10**6)]
    log = data_dir / f"churn-{n}.log"  # a file, not a pipe nobody reads while it runs
    with log.open("w") as errors_to:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors_to, text=True,
                                   env=worker_env(), cwd=data_dir)  # fmt: skip
    assert process.stdout is not None
    seen = [process.stdout.readline()]
    if seen[0].strip() != "ready":
        process.kill()
        process.wait()
        raise RuntimeError(f"the worker did not start: {seen[0]!r} {log.read_text()[-800:]}")
    while len(seen) <= lines and (line := process.stdout.readline()):
        seen.append(line)
    time.sleep(delay_s)  # the fault's moment: somewhere inside the next operation
    process.kill()  # SIGKILL
    rest, _ = process.communicate(timeout=60)
    if process.returncode != -9:
        raise RuntimeError(f"the worker ended before the kill ({process.returncode}): "
                           f"{log.read_text()[-800:]}")  # fmt: skip
    acked = Acknowledged()
    acked.read([*seen[1:], *rest.splitlines()])
    return acked


def _check_round(url: str, acked: Acknowledged, run: Run, where: str) -> None:
    present = stored(url, acked.tracked)
    run.acknowledged += len(acked.tracked) + len(acked.closed)
    lost_tracks = [i for i in acked.tracked if i not in present]
    lost_closes = [i for i, r in acked.closed.items() if present.get(i) != ("CLOSED", r)]
    run.present += len(acked.tracked) - len(lost_tracks) + len(acked.closed) - len(lost_closes)
    run.lost += len(lost_tracks) + len(lost_closes)
    run.duplicated += len(acked.tracked) - len(set(acked.tracked))
    counts = strategy_counts(url)
    run.duplicated += sum(c - 1 for key, c in counts.items() if "-s" in key and c > 1)
    torn = [k for k, c in counts.items() if "-b" in k and c != 3]  # a batch stored in part
    problems = check_store(url) + ([f"batches stored in part: {torn[:3]}"] if torn else [])
    run.problems += [f"{where}: {p}" for p in problems]


# --- processes at once ----------------------------------------------------------------


def race(url: str, data_dir: Path, *, processes: int, per_process: int) -> Run:
    """`processes` workers tracking `per_process` signals each, closing their even ones and
    every one their neighbour tracked; then exactly processes × per_process signals, each
    closed once, must be stored."""
    total = processes * per_process
    run = Run(scenario="processes tracking and closing at once", store=backend(url),
              load=f"{processes} × {per_process}")  # fmt: skip
    folder = data_dir / "race"
    folder.mkdir(parents=True, exist_ok=True)
    open_tracker(url, data_dir).dispose()  # the schema first, as `sigtrack init`
    began = time.perf_counter()
    logs = [folder / f"worker-{k}.log" for k in range(processes)]
    prints = [folder / f"worker-{k}.out" for k in range(processes)]
    workers = []
    for k in range(processes):  # files, not pipes: one read last could fill and block all
        with logs[k].open("w") as errors_to, prints[k].open("w") as out_to:
            workers.append(subprocess.Popen(
                [sys.executable, str(WORKER), "race", url, str(data_dir), str(k),
                 str(processes), str(per_process), str(folder)],
                stdout=out_to, stderr=errors_to, env=worker_env(), cwd=data_dir,
            ))  # fmt: skip
    acked = Acknowledged()
    for k, worker in enumerate(workers):
        if worker.wait(timeout=3600) != 0:
            run.problems.append(f"worker {k} failed ({worker.returncode}): "
                                f"{logs[k].read_text()[-500:]}")  # fmt: skip
        out = prints[k].read_text()
        one = Acknowledged()
        one.read(out.splitlines())
        acked.tracked += one.tracked
        acked.closed |= one.closed
        acked.closes += one.closes
        acked.conflicts += one.conflicts
        acked.journaled += one.journaled + one.summary.get("backlog", 0)
    run.seconds = time.perf_counter() - began
    if acked.journaled:  # the store was locked past its busy timeout: the journal has them
        with open_tracker(url, data_dir) as tracker:
            tracker.app.journal.replay_all()
    _check_race(url, acked, run, total)
    return run


def _check_race(url: str, acked: Acknowledged, run: Run, total: int) -> None:
    present = stored(url, acked.tracked)
    counts = strategy_counts(url)
    keys = {k: c for k, c in counts.items() if k.startswith("p")}
    run.acknowledged = len(acked.tracked)
    run.present = len(present)
    run.lost = len(set(acked.tracked) - set(present)) + max(0, total - len(keys))
    run.duplicated = (len(acked.tracked) - len(set(acked.tracked))
                      + sum(c - 1 for c in keys.values()))  # fmt: skip
    if len(acked.tracked) != total:
        run.problems.append(f"{len(acked.tracked)} tracks acknowledged, {total} made")
    not_closed = [i for i, (status, result) in present.items() if status != "CLOSED" or not result]
    if not_closed:
        run.problems.append(f"signals not closed: {len(not_closed)} ({not_closed[:3]})")
    if acked.closes + acked.journaled != total:  # each signal closed by one process only
        run.problems.append(f"{acked.closes} closes acknowledged for {total} signals")
    run.problems += check_store(url)
    run.notes = (f"{acked.conflicts} closes refused as already closed (races lost), "
                 f"{acked.journaled} journaled")  # fmt: skip


# --- PostgreSQL stopped ---------------------------------------------------------------

COMPAT_CHILD = """
import json, sys
from sigtrack import compat
def track(n, start):
    return [compat.track_signal_given(7, "BTCUSDT", "15m", 100.0 + (start + i) % 7, 110.0, 0,
                                      90.0) for i in range(n)]
first = track(int(sys.argv[1]), 0)
print(json.dumps(first), flush=True)
sys.stdin.readline()
print(json.dumps(track(int(sys.argv[2]), int(sys.argv[1]))), flush=True)
"""


def postgres_stopped(pg_url: str, data_dir: Path, *, before: int, during: int) -> Run:
    """A child tracks `before` signals through compat, PostgreSQL stops (the proxy in front
    of it), the child tracks `during` more (journaled), it comes back, `sigtrack journal
    replay` runs twice; every id the child got must be stored once."""
    from pg_proxy import pg_proxy  # tests/ on the path  # noqa: PLC0415 - only the journal run needs the proxy

    run = Run(scenario="PostgreSQL stopped under the compat API, journal replayed",
              store="PostgreSQL", load=f"1 × {before + during}", faults=1)  # fmt: skip
    began = time.perf_counter()
    env = worker_env()
    with pg_proxy(pg_url) as proxy:
        env["SIGTRACK_DATABASE_URL"] = proxy.url
        env["SIGTRACK_DATA_DIR"] = str(data_dir)
        log = (data_dir / "child.log").open("w+")  # a file: a full pipe would block the child
        child = subprocess.Popen([sys.executable, "-c", COMPAT_CHILD, str(before), str(during)],
                                 cwd=data_dir, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=log, text=True)  # fmt: skip
        assert child.stdout is not None and child.stdin is not None
        ids = json.loads(child.stdout.readline())
        proxy.stop()
        child.stdin.write("go\n")
        child.stdin.flush()
        ids += json.loads(child.stdout.readline())
        child.communicate(timeout=300)
        log.seek(0)
        errors = log.read()
        log.close()
        proxy.start()
        replays = [_replay(env, data_dir) for _ in range(2)]
    run.seconds = time.perf_counter() - began
    if child.returncode != 0:
        run.problems.append(f"the child failed: {errors[-500:]}")
    if replays[0].get("applied") != during or replays[1].get("applied") != 0:
        run.problems.append(f"replays applied {[r.get('applied') for r in replays]}")
    acked = [i for i in ids if i is not None]
    present = stored(pg_url, acked)
    run.acknowledged, run.present = len(acked), len(present)
    run.lost = len(set(acked) - set(present)) + (before + during - len(acked))
    run.duplicated = len(acked) - len(set(acked)) + _rows(pg_url) - len(present)
    run.problems += check_store(pg_url)
    run.notes = (
        f"{during} journaled while down; replays applied {[r.get('applied') for r in replays]}"
    )
    return run


def _replay(env: dict[str, str], data_dir: Path) -> dict[str, int]:
    script = Path(sys.executable).with_name("sigtrack")
    done = subprocess.run([str(script), "journal", "replay", "--json"], capture_output=True,
                          text=True, cwd=data_dir, env=env, timeout=600, check=False)  # fmt: skip
    result: dict[str, int] = json.loads(done.stdout) if done.returncode == 0 else {}
    return result


def _rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM signals")).scalar_one())
    finally:
        engine.dispose()


def describe(runs: Sequence[Run]) -> str:
    return "\n".join(f"{r.scenario} [{r.store}] lost={r.lost} dup={r.duplicated} "
                     f"problems={r.problems[:3]}" for r in runs)  # fmt: skip
