"""Monitors sharing one PostgreSQL store: does a pass get faster with 2 or 4 of them? (issue 13)

    .venv/bin/python bench/scale_out.py [--signals N] [--symbols S] [--repeats R]
                                        [--monitors 1,2,4] [--days D] [--resumed]
                                        [--also DIR ...] [--diagnose] [--pg-url URL]
                                        [--seed N] [--out PATH]

In a scratch database on --pg-url's server (created, and dropped at the end) it stores N
open 15m signals over S symbols, created within 4 hours of one UTC day (`--days D` spreads
them over D days), through `Tracker.track_many`, and writes a folder of `SYMBOL.csv`
1-minute candles (a seeded random walk, offline) long enough to close every one of them.
With `--resumed` one monitor pass over the first hours of those candles has already run, so
the open signals carry their saved progress (a monitor's steady state) when the runs begin.
That store is the template: each run gets a fresh copy (`CREATE DATABASE … TEMPLATE`), so
every run settles the same open signals.

A run starts K `sigtrack -v monitor --passes 1 --every 1 --candles FOLDER` processes at
once (the monitor's real CLI, one pass then exit) and times them from the first start to
the last exit. Runs alternate between the K of --monitors (and, with `--also DIR`, between
the sigtrack this process imports and DIR's `src/`, e.g. `git archive <commit> src | tar -x
-C DIR`: before and after a change in one run), forwards and backwards, --repeats times.
Each repeat also times `python -c pass` (the plain reference: a ratio to it holds when the
machine drifts), a CPU-bound loop alone and two at once (how many cores are free just then),
and one monitor pass over a copy with nothing open (a monitor's fixed cost). After every
run the copy is checked: every signal closed, no event twice, the same outcomes as the first
run's, the K passes recorded; and each monitor's claims are read back
(`settle_claims.claimed_at`: the moment of each claim).

`--diagnose` adds one run per K (this tree) with pg_stat_activity and pg_locks sampled
every 10 ms, the backends' CPU time read from /proc, and monitor 0 under
`python -m cProfile` (its profile is written beside the JSON, its top entries printed).
Figures: bench/README.md ("Monitors sharing one PostgreSQL store").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import sigtrack
from scratch_db import scratch_database
from sigtrack import Tracker
from sigtrack.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG_URL = os.environ.get(
    "SIGTRACK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MINUTE_MS = 60_000
LIFE = timedelta(hours=24)  # a 15m signal's life: 96 × 15 minutes
SPREAD = timedelta(hours=4)  # a day's signals are created within these hours of it
EARLY = SPREAD + timedelta(minutes=30)  # --resumed: the candles of the pass run beforehand
SPIN = "sum(range(8_000_000))"  # ~0.2 s of one core here


# --- the store and the market ----------------------------------------------------------


def database_of(url: str) -> str:
    name = make_url(url).database
    assert name is not None
    return name


@dataclass(frozen=True, slots=True)
class Market:
    folder: Path  # every candle
    early: Path  # the first EARLY of them (--resumed)
    signals: int
    symbols: int


def fill_store(url: str, work: Path, *, signals: int, symbols: int, days: int,
               seed: int) -> Market:  # fmt: skip
    """The open signals in the store, their candles in two folders (all, and the early ones)."""
    rng = np.random.default_rng(seed)
    first_day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day -= timedelta(days=days + 1)
    start = first_day + timedelta(hours=1)
    end = start + timedelta(days=days - 1) + SPREAD + LIFE + timedelta(hours=1)
    minutes = int((end - start).total_seconds() // 60)
    times_ms = int(start.timestamp() * 1000) + MINUTE_MS * np.arange(minutes, dtype=np.int64)
    market = Market(work / "candles", work / "candles-early", signals, symbols)
    market.folder.mkdir(parents=True)
    market.early.mkdir()
    early_rows = int(EARLY.total_seconds() // 60)
    per_symbol = np.full(symbols, signals // symbols)
    per_symbol[: signals % symbols] += 1
    batch: list[dict[str, Any]] = []
    settings = load_settings(env={}, config_file=None, database_url=url)
    with Tracker.open(settings=settings) as tracker:
        for k, count in enumerate(per_symbol.tolist()):
            name = f"S{k:03d}USDT"
            lines, close = _candle_lines(times_ms, rng)
            for folder, rows in ((market.folder, lines), (market.early, lines[:early_rows])):
                (folder / f"{name}.csv").write_text(
                    "timestamp,open,high,low,close\n" + "\n".join(rows) + "\n", encoding="utf-8"
                )
            batch += _signals_of(name, count, close, start, days, rng)
            if len(batch) >= 10_000:
                tracker.track_many(batch, now=end)
                batch = []
        if batch:
            tracker.track_many(batch, now=end)
    return market


def open_counts(url: str) -> dict[str, int]:
    """The open signals, and how many of them carry saved progress."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT count(*), count(outcome) FROM signals WHERE status = 'ACTIVE'"
        )).one()  # fmt: skip
    engine.dispose()
    return {"open": int(found[0]), "with_progress": int(found[1])}


def vacuum(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _candle_lines(times_ms: np.ndarray, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """A random walk of 1-minute candles (0.08 % a minute): CSV lines, and the closes."""
    n = len(times_ms)
    steps = rng.normal(0.0, 0.0008, n)
    close = float(rng.uniform(1.0, 50_000.0)) * np.exp(np.cumsum(steps))
    open_ = np.concatenate([[close[0] / np.exp(steps[0])], close[:-1]])
    wick = np.abs(rng.normal(0.0, 0.0004, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    columns = zip(times_ms.tolist(), open_, high, low, close, strict=True)
    return [f"{t},{o:.8g},{h:.8g},{lo:.8g},{c:.8g}" for t, o, h, lo, c in columns], close


def _signals_of(symbol: str, count: int, close: np.ndarray, start: datetime, days: int,
                rng: np.random.Generator) -> list[dict[str, Any]]:  # fmt: skip
    """`count` signals of `symbol`, each at its own second within SPREAD of one of the days,
    entered at the last close before it, TP1 / SL 0.4–1.5 % away (TP2 twice as far)."""
    spread_s = int(SPREAD.total_seconds())
    seconds = rng.choice(spread_s * days, size=count, replace=False)
    day, second = seconds // spread_s, seconds % spread_s
    minute = (day * 1440 + second // 60).astype(np.int64)
    entry = close[np.maximum(minute - 1, 0)]
    away = rng.uniform(0.004, 0.015, count)
    sign = np.where(rng.random(count) < 0.5, 1.0, -1.0)
    columns = zip(entry.tolist(), away.tolist(), sign.tolist(),
                  (day * 86_400 + second).tolist(), strict=True)  # fmt: skip
    return [
        {"symbol": symbol, "side": "LONG" if s > 0 else "SHORT", "timeframe": "15m",
         "entry": e, "tp1": e * (1 + s * a), "tp2": e * (1 + 2 * s * a), "sl": e * (1 - s * a),
         "created_at": start + timedelta(seconds=offset), "confidence": 80}
        for e, a, s, offset in columns
    ]  # fmt: skip


# --- processes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    src: Path | None  # None: the sigtrack this process imports (this tree's, or PYTHONPATH's)


def cli(variant: Variant) -> list[str]:
    """The sigtrack command (of `variant`'s src/: PYTHONPATH, see `environment`)."""
    script = Path(sys.executable).with_name("sigtrack")
    if variant.src is None and script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from sigtrack.cli import run; sys.exit(run())"]


def monitor_command(variant: Variant, folder: Path) -> list[str]:
    return [*cli(variant), "-v", "monitor", "--passes", "1", "--every", "1", "--candles",
            str(folder)]  # fmt: skip


def environment(variant: Variant, work: Path, url: str | None = None) -> dict[str, str]:
    """The machine's environment without SIGTRACK_* (and the store's URL), with byte code
    kept under `work`: a deployed monitor has its byte code, where PYTHONDONTWRITEBYTECODE
    (set on this machine) would make each one compile sigtrack again (~0.6 s of CPU)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SIGTRACK_") and k != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    if variant.src is not None:
        env["PYTHONPATH"] = str(variant.src)
    return env if url is None else env | {"SIGTRACK_DATABASE_URL": url}


def compile_bytecode(variant: Variant, work: Path) -> None:
    """The variant's byte code, and that of what the CLI imports, before anything is timed."""
    src = variant.src or Path(sigtrack.__file__).resolve().parents[1]
    env = environment(variant, work)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "2", str(src / "sigtrack")],
                   env=env, check=True)  # fmt: skip
    subprocess.run([sys.executable, "-c", "import sigtrack.cli.main"], env=env, check=True)


def start_at_once(commands: Sequence[list[str]], *, env: dict[str, str], cwd: Path,
                  logs: Path) -> tuple[float, list[float], list[float], list[int]]:  # fmt: skip
    """Start the commands together; (wall clock at the start, exit and CPU seconds of each,
    exit codes). Output goes to files under `logs` (a pipe left unread could block one)."""
    logs.mkdir(parents=True, exist_ok=True)
    outs = [open(logs / f"{i}.log", "wb") for i in range(len(commands))]  # noqa: SIM115
    began_wall, began = time.time(), time.perf_counter()
    processes = [subprocess.Popen(c, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
                 for c, out in zip(commands, outs, strict=True)]  # fmt: skip
    index = {p.pid: i for i, p in enumerate(processes)}
    exits, cpu, codes = [0.0] * len(processes), [0.0] * len(processes), [0] * len(processes)
    for _ in processes:
        pid, status, usage = os.wait4(-1, 0)
        i = index[pid]
        exits[i] = time.perf_counter() - began
        cpu[i] = usage.ru_utime + usage.ru_stime
        codes[i] = processes[i].returncode = os.waitstatus_to_exitcode(status)
    for out in outs:
        out.close()
    return began_wall, exits, cpu, codes


# --- one run ---------------------------------------------------------------------------


@dataclass(slots=True)
class Run:
    variant: str
    monitors: int
    wall_s: float  # first start to last exit
    exits_s: list[float]  # each process, from the first start
    cpu_s: list[float]  # each process: user + system
    check: str = ""  # "ok", or what was wrong
    claims_s: list[list[float]] = field(default_factory=list)  # each monitor's claims
    backend_cpu_s: float | None = None  # the PostgreSQL backends' (when sampled)

    @property
    def first_claims_s(self) -> list[float]:
        return [times[0] for times in self.claims_s]

    @property
    def last_claims_s(self) -> list[float]:
        return [times[-1] for times in self.claims_s]

    def line(self) -> str:
        return (
            f"{self.variant}, {self.monitors} monitor(s): {self.wall_s:.2f} s, CPU "
            f"{sum(self.cpu_s):.2f} s, symbols {[len(c) for c in self.claims_s]}, first claims "
            f"at {_seconds(self.first_claims_s)}, last {_seconds(self.last_claims_s)}, exits "
            f"{_seconds(self.exits_s)}: {self.check}"
        )


@dataclass(slots=True)
class Bench:
    admin_url: str
    template: str
    market: Market
    work: Path
    resumed: bool
    expected: str | None = None  # the outcomes' digest of the first run

    def run(self, variant: Variant, k: int, *, profile: Path | None = None,
            sample: bool = False) -> tuple[Run, Counter[str]]:  # fmt: skip
        """K monitors over a fresh copy of the store; the run and (`sample`) the activity."""
        with scratch_database(
            self.admin_url, template=self.template, prefix="sigtrack_scale"
        ) as url:
            command = monitor_command(variant, self.market.folder)
            commands = [command for _ in range(k)]
            if profile is not None:  # monitor 0 profiled (this tree's script)
                commands[0] = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
            sampler = ActivitySampler(self.admin_url, database_of(url)) if sample else None
            if sampler is not None:
                sampler.start()
            began, exits, cpu, codes = start_at_once(
                commands, env=environment(variant, self.work, url), cwd=self.work,
                logs=self.work / "logs" / f"{k}-{uuid.uuid4().hex[:6]}",
            )  # fmt: skip
            samples, backend_cpu = (Counter(), None) if sampler is None else sampler.stop()
            run = Run(variant=variant.name, monitors=k, wall_s=max(exits), exits_s=exits,
                      cpu_s=cpu, backend_cpu_s=backend_cpu)  # fmt: skip
            digest, problems = check_store(url, k + self.resumed)
            if self.expected is None:
                self.expected = digest
            elif digest != self.expected:
                problems.append("outcomes differ from the first run's")
            if any(codes):
                problems.append(f"exit codes {codes}")
            run.check = "; ".join(problems) or "ok"
            run.claims_s = claims_of(url, began)
        return run, samples

    def idle_pass(self, variant: Variant) -> float:
        """One monitor pass over a copy with nothing open: a monitor's fixed cost."""
        with scratch_database(
            self.admin_url, template=self.template, prefix="sigtrack_scale"
        ) as url:
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("UPDATE signals SET status = 'CLOSED', result = 'CANCELLED'"))
            engine.dispose()
            _, exits, _, codes = start_at_once(
                [monitor_command(variant, self.market.folder)],
                env=environment(variant, self.work, url), cwd=self.work,
                logs=self.work / "logs" / "idle",
            )  # fmt: skip
            assert codes == [0], "the idle monitor failed"
            return exits[0]


def plain_run(commands: list[list[str]], work: Path) -> float:
    """The commands (a reference) started at once: first start to last exit."""
    _, exits, _, codes = start_at_once(commands, env=dict(os.environ), cwd=work,
                                       logs=work / "logs" / "reference")  # fmt: skip
    assert not any(codes), f"{commands[0]} failed"
    return max(exits)


def check_store(url: str, passes: int) -> tuple[str, list[str]]:
    """The digest of every signal's outcome, and what is wrong with the store after a run."""
    problems: list[str] = []
    engine = create_engine(url)
    with engine.connect() as conn:
        active = conn.execute(text("SELECT count(*) FROM signals WHERE status = 'ACTIVE'")).scalar()
        twice = conn.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM signal_events "
            "GROUP BY signal_pk, kind, data::text HAVING count(*) > 1) AS d"
        )).scalar()  # fmt: skip
        closes = conn.execute(text(
            "SELECT count(*) FILTER (WHERE e.kind = 'closed'), count(DISTINCT s.id) "
            "FROM signals AS s LEFT JOIN signal_events AS e ON e.signal_pk = s.id "
            "AND e.kind = 'closed' WHERE s.status = 'CLOSED'"
        )).one()  # fmt: skip
        recorded = conn.execute(text("SELECT count(*) FROM settling_passes")).scalar()
        rows = conn.execute(text(
            "SELECT signal_id, result, exit_reason, round(pnl_pct::numeric, 9)::text "
            "FROM signals ORDER BY signal_id"
        )).all()  # fmt: skip
    engine.dispose()
    digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
    if active:
        problems.append(f"{active} signals still open")
    if twice:
        problems.append(f"{twice} events written twice")
    if closes[0] != closes[1]:
        problems.append(f"{closes[0]} close events for {closes[1]} closed signals")
    if recorded != passes:
        problems.append(f"{recorded} passes recorded (expected {passes})")
    return digest, problems


def claims_of(url: str, began: float) -> list[list[float]]:
    """Each monitor's claims (`claimed_at`, the moment of each, from the first start), in
    the order of their first claims."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT claimed_by, extract(epoch FROM claimed_at) FROM settle_claims ORDER BY 2"
        )).all()  # fmt: skip
    engine.dispose()
    by_owner: dict[str, list[float]] = {}
    for owner, at in rows:
        by_owner.setdefault(owner, []).append(float(at) - began)
    return list(by_owner.values())


class ActivitySampler:
    """pg_stat_activity and pg_locks of one database, every 10 ms, on a thread: counts of
    (state, wait event, lock waited for, statement) among the monitors' backends, and the
    backends' CPU time (from /proc: the server runs on this machine)."""

    _ACTIVITY = text(
        "SELECT a.pid, a.state, coalesce(a.wait_event_type || ':' || a.wait_event, 'on CPU'), "
        "regexp_replace(left(a.query, 48), '\\s+', ' ', 'g'), (SELECT string_agg("
        "l.locktype || coalesce(':' || l.relation::regclass::text, ''), ',') "
        "FROM pg_locks AS l WHERE l.pid = a.pid AND NOT l.granted) "
        "FROM pg_stat_activity AS a WHERE a.datname = :db AND a.pid <> pg_backend_pid() "
        "AND a.backend_type = 'client backend'"
    )

    def __init__(self, admin_url: str, database: str) -> None:
        self._engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._database = database
        self._stop = threading.Event()
        self._counts: Counter[str] = Counter()
        self._cpu: dict[int, float] = {}  # backend pid → its CPU seconds, as last seen
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> tuple[Counter[str], float]:
        """The counts ("samples": how many were taken) and the backends' CPU seconds."""
        self._stop.set()
        self._thread.join()
        self._engine.dispose()
        return self._counts, sum(self._cpu.values())

    def _run(self) -> None:
        with self._engine.connect() as conn:
            while not self._stop.is_set():
                self._counts["samples"] += 1
                for pid, state, wait, query, waiting_for in conn.execute(
                    self._ACTIVITY, {"db": self._database}
                ):
                    self._cpu[pid] = max(self._cpu.get(pid, 0.0), _cpu_s(pid))
                    if state == "idle":
                        self._counts["idle: the client's turn, no transaction open"] += 1
                        continue
                    where = f" waiting for {waiting_for}" if waiting_for else ""
                    self._counts[f"{state} | {wait}{where} | {query}"] += 1
                self._stop.wait(0.01)


def _cpu_s(pid: int) -> float:
    """A process's CPU seconds (user + system) from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the runs --------------------------------------------------------------------------


def schedule(variants: Sequence[Variant], monitors: Sequence[int],
             repeats: int) -> Iterator[tuple[int, Variant, int]]:  # fmt: skip
    """(repeat, variant, K): every pair once a repeat, forwards and backwards in turn."""
    pairs = [(v, k) for k in monitors for v in variants]
    for repeat in range(repeats):
        for variant, k in pairs if repeat % 2 == 0 else reversed(pairs):
            yield repeat, variant, k


@dataclass(slots=True)
class References:
    python_c_pass_s: list[float] = field(default_factory=list)
    spin_one_s: list[float] = field(default_factory=list)
    spin_two_s: list[float] = field(default_factory=list)
    idle_monitor_s: dict[str, list[float]] = field(default_factory=dict)

    def take(self, bench: Bench, variants: Sequence[Variant]) -> None:
        for _ in range(3):
            self.python_c_pass_s.append(plain_run([[sys.executable, "-c", "pass"]], bench.work))
        self.spin_one_s.append(plain_run([[sys.executable, "-c", SPIN]], bench.work))
        self.spin_two_s.append(plain_run([[sys.executable, "-c", SPIN]] * 2, bench.work))
        for variant in variants:
            self.idle_monitor_s.setdefault(variant.name, []).append(bench.idle_pass(variant))


def summary(runs: Sequence[Run], refs: References) -> list[dict[str, Any]]:
    ref = statistics.median(refs.python_c_pass_s)
    rows = []
    for name in dict.fromkeys(r.variant for r in runs):
        mine = [r for r in runs if r.variant == name]
        ks = sorted({r.monitors for r in mine})
        base = statistics.median(r.wall_s for r in mine if r.monitors == ks[0])
        for k in ks:
            these = [r for r in mine if r.monitors == k]
            wall = statistics.median(r.wall_s for r in these)
            rows.append({
                "variant": name, "monitors": k, "runs": len(these), "wall_median_s": wall,
                "wall_min_s": min(r.wall_s for r in these),
                "wall_max_s": max(r.wall_s for r in these),
                "cpu_median_s": statistics.median(sum(r.cpu_s) for r in these),
                "first_claim_median_s": statistics.median(min(r.first_claims_s) for r in these),
                "speedup": base / wall, "wall_over_python_c_pass": wall / ref,
                "idle_monitor_median_s": statistics.median(refs.idle_monitor_s[name]),
                "all_checked": all(r.check == "ok" for r in these),
            })  # fmt: skip
    return rows


def print_summary(rows: list[dict[str, Any]], refs: References) -> None:
    print(
        f"\n`python -c pass`: {statistics.median(refs.python_c_pass_s) * 1000:.0f} ms; a "
        f"CPU-bound loop: {statistics.median(refs.spin_one_s):.2f} s alone, "
        f"{statistics.median(refs.spin_two_s):.2f} s two at once (two free cores: the same)"
    )
    print(
        "| variant | monitors | runs | wall, median (min–max) | CPU, the monitors | first claim "
        "| speed-up | wall ÷ `python -c pass` | idle monitor | checks |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|:--|"
    )
    for r in rows:
        print(
            f"| {r['variant']} | {r['monitors']} | {r['runs']} | {r['wall_median_s']:.2f} s "
            f"({r['wall_min_s']:.2f}–{r['wall_max_s']:.2f}) | {r['cpu_median_s']:.2f} s "
            f"| {r['first_claim_median_s']:.2f} s | {r['speedup']:.2f}× "
            f"| {r['wall_over_python_c_pass']:.0f} | {r['idle_monitor_median_s']:.2f} s "
            f"| {'ok' if r['all_checked'] else 'FAILED'} |"
        )


def diagnose(bench: Bench, variant: Variant, monitors: Sequence[int],
             stem: Path) -> dict[str, Any]:  # fmt: skip
    """One run per K with the activity sampled and monitor 0 profiled."""
    found: dict[str, Any] = {}
    for k in monitors:
        profile = Path(f"{stem}-profile-{k}.prof")
        run, samples = bench.run(variant, k, profile=profile, sample=True)
        total = samples.pop("samples", 1)
        print(f"\n--- {k} monitor(s), diagnosed (monitor 0 under cProfile): {run.line()}")
        gaps = [b - a for times in run.claims_s for a, b in pairwise(times)]
        print(
            f"CPU: the monitors {sum(run.cpu_s):.2f} s, their PostgreSQL backends "
            f"{run.backend_cpu_s or 0:.2f} s; between two claims of one monitor: median "
            f"{statistics.median(gaps or [0]):.3f} s, max {max(gaps or [0]):.3f} s"
        )
        print(f"{total} samples of pg_stat_activity; backends seen in each state, per sample:")
        for what, n in samples.most_common(12):
            print(f"  {n / total:6.3f}  {what}")
        waits = {w: n / total for w, n in samples.items() if "waiting for" in w}
        print(f"  lock waits in all: {sum(waits.values()):.3f} per sample")
        print(f"monitor 0's profile (cumulative s, calls): {profile}")
        found[str(k)] = {
            "run": asdict(run), "samples": total, "lock_waits": waits,
            "activity": {w: n / total for w, n in samples.most_common(40)},
            "profile": str(profile), "profile_top": print_profile(profile),
        }  # fmt: skip
    return found


def print_profile(path: Path, limit: int = 24) -> list[str]:
    """The profile's entries by cumulative time: sigtrack's, and the driver's calls."""
    entries = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    lines = []
    for (file, line, func), (_, calls, _, cumulative, _) in sorted(
        entries.items(), key=lambda item: -item[1][3]
    ):
        if "/sigtrack/" not in file and not (
            "psycopg" in file and func in ("execute", "executemany", "commit")
        ):
            continue
        lines.append(f"  {cumulative:7.3f} s {calls:>6}  {Path(file).name}:{line}({func})")
        if len(lines) >= limit:
            break
    print("\n".join(lines))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    monitors = [int(k) for k in args.monitors.split(",")]
    # named by the folder holding the src/ each runs: this tree's, PYTHONPATH's, or --also's
    variants = [Variant(Path(sigtrack.__file__).resolve().parents[2].name, None)]
    variants += [Variant(folder.name, folder.resolve() / "src") for folder in args.also]
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S")
    out = args.out or ROOT / "bench" / "results" / f"scale-out-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "load_average_start": os.getloadavg(), "commit": _commit(),
        "sigtrack": str(Path(sigtrack.__file__).resolve().parents[1]),
    }  # fmt: skip
    with (
        tempfile.TemporaryDirectory(prefix="sigtrack-scale-") as tmp,
        scratch_database(args.pg_url, prefix="sigtrack_scale") as template_url,
    ):
        work, began = Path(tmp), time.perf_counter()
        market = fill_store(template_url, work, signals=args.signals, symbols=args.symbols,
                            days=args.days, seed=args.seed)  # fmt: skip
        for variant in variants:
            compile_bytecode(variant, work)
        bench = Bench(args.pg_url, database_of(template_url), market, work, args.resumed)
        if args.resumed:  # their progress saved by a pass over the first hours of candles
            subprocess.run(monitor_command(variants[0], market.early), check=True,
                           env=environment(variants[0], work, template_url), cwd=work,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        vacuum(template_url)
        took = time.perf_counter() - began
        report["open_at_start"] = still_open = open_counts(template_url)
        print(f"{args.signals:,} signals over {args.symbols} symbols stored in {took:.1f} s; "
              f"open when the runs begin: {still_open['open']:,} ({still_open['with_progress']:,}"
              f" with saved progress); runs of {monitors} monitors", flush=True)  # fmt: skip
        for variant in variants:
            warm, _ = bench.run(variant, 1)
            print(f"  warm-up (not counted): {warm.line()}", flush=True)
        runs: list[Run] = []
        refs = References()
        for repeat, variant, k in schedule(variants, monitors, args.repeats):
            run, _ = bench.run(variant, k)
            runs.append(run)
            print(f"  repeat {repeat + 1}, {run.line()}", flush=True)
            if len(runs) % (len(variants) * len(monitors)) == 0:  # once a repeat
                refs.take(bench, variants)
        if runs:  # (--repeats 0: only the diagnosed runs)
            rows = summary(runs, refs)
            print_summary(rows, refs)
            report |= {"runs": [asdict(r) for r in runs], "summary": rows,
                       "references": asdict(refs)}  # fmt: skip
        if args.diagnose:
            report["diagnose"] = diagnose(bench, variants[0], monitors, out.with_suffix(""))
    report["load_average_end"] = os.getloadavg()
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"wrote {out}")
    return 0 if all(r.check == "ok" for r in runs) else 1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--signals", type=int, default=40_000)
    parser.add_argument("--symbols", type=int, default=40)
    parser.add_argument("--days", type=int, default=1, help="days the signals are created on")
    parser.add_argument(
        "--resumed",
        action="store_true",
        help="the open signals carry saved progress (a pass ran first)",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--monitors", default="1,2,4")
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder with another src/, to alternate with this tree's (repeatable)",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--diagnose", action="store_true", help="a run per K: activity sampled, monitor 0 profiled"
    )
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def _seconds(values: Sequence[float | None]) -> str:
    return "[" + ", ".join("—" if v is None else f"{v:.2f}" for v in values) + "]"


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout.strip() + (" (src/ changed)" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    sys.exit(main())
