"""HTTP API benchmark: a bounded load run against `sigtrack serve` on loopback.

    .venv/bin/python bench/api.py [--quick] [--backends sqlite,postgresql] [--pg-url URL]
                                  [--signals N] [--connections C] [--duration S]

Per store (SQLite in a temp file; PostgreSQL in a scratch database, skipped with the reason
printed when the server does not answer): a seeded history (20,000 signals over 90 days,
about three in four closed WIN / LOSS / BREAKEVEN with a PnL, written through the tracking
service before the server starts), then the user's path — `sigtrack serve --no-monitor
--no-jobs --no-bot --db URL` as a process, SIGTRACK_API_TOKEN set, stopped by SIGTERM
(exit 0 checked) — loaded over C keep-alive connections (bench/api_load.py, in a process
of its own) with, one after the other:

- GET /stats/winrate?days=30, GET /stats/breakdown?by=symbol&days=30 and POST /signals (one
  new signal per request, the Bearer token): a warm-up, then a fixed time, closed loop;
- GET /stats/winrate?days=30 again at an offered 500 requests/s (open loop): the target's
  own rate, its p99 counted from when each request was due; on each server whose closed loop
  reached 90 % of that rate (the others would only queue).

Beside each scenario, in the same run and loaded the same way, two reference servers on
the same uvicorn settings answering with the very bodies sigtrack gave: a bare ASGI app
(the floor: uvicorn, the loop and the HTTP parser) and FastAPI with sync routes returning
a constant (the framework's share). sigtrack's req/s is reported as a ratio of both.

Target (issue): ≥ 500 requests/s for GET winrate with p99 ≤ 50 ms. Writes
bench/results/api-<date>[-quick].json. See bench/README.md ("HTTP API").
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import event

import api_profile
from api_load import SYMBOLS, LoadResult, LoadSpec, get_once, run_load
from sigtrack.bootstrap import build_app
from sigtrack.config import load_settings
from store import DEFAULT_PG_URL, Skipped, base_machine_info, fresh_postgres_database

BENCH_DIR = Path(__file__).resolve().parent
TARGET_RPS, TARGET_P99_MS = 500.0, 50.0
TOKEN = "bench-api-" + secrets.token_hex(16)
console = Console(highlight=False)
if not console.is_terminal:
    console = Console(width=170, highlight=False)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    method: str
    path: str
    rate: float | None = None  # open loop at this rate; None: closed loop


WINRATE = "/stats/winrate?days=30"
BREAKDOWN = "/stats/breakdown?by=symbol&days=30"
SCENARIOS = (
    Scenario("GET winrate", "GET", WINRATE),
    Scenario("GET breakdown", "GET", BREAKDOWN),
    Scenario("POST /signals", "POST", "/signals"),
    Scenario("GET winrate @500/s", "GET", WINRATE, rate=TARGET_RPS),
)


# --- the store --------------------------------------------------------------------------


def seed_store(url: str, n: int, days: int, now: datetime, seed: int) -> dict[str, Any]:
    """`n` signals over the last `days` days through the tracking service, about 3 in 4
    closed by hand (WIN 45 %, LOSS 40 %, BREAKEVEN 15 %) some hours after they opened."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    app = build_app(load_settings(env={}, config_file=None, database_url=url))
    span_s = days * 86_400
    offsets = np.sort(rng.choice(span_s - 3_600, size=n, replace=False))[::-1]
    created = [now - timedelta(seconds=int(s) + 3_600) for s in offsets]
    try:
        ids: list[str] = []
        for lo in range(0, n, 1_000):
            batch = [_seed_signal(rng, at) for at in created[lo : lo + 1_000]]
            ids += app.tracking.record_many(batch, now=now)
        closed = 0
        for signal_id, at in zip(ids, created, strict=True):
            if rng.random() >= 0.75:
                continue
            draw = rng.random()
            result, pnl = (("WIN", rng.uniform(0.5, 3.0)) if draw < 0.45 else
                           ("LOSS", -rng.uniform(0.5, 2.0)) if draw < 0.85 else
                           ("BREAKEVEN", 0.0))  # fmt: skip
            when = min(at + timedelta(minutes=int(rng.integers(15, 48 * 60))), now)
            app.tracking.close(signal_id, result=result, pnl_pct=round(float(pnl), 3),
                               now=when, actor="bench")  # fmt: skip
            closed += 1
    finally:
        app.store.dispose()
    return {"signals": n, "closed": closed, "days": days,
            "seed_s": round(time.perf_counter() - started, 1)}  # fmt: skip


def _seed_signal(rng: np.random.Generator, at: datetime) -> dict[str, Any]:
    symbol = SYMBOLS[int(rng.integers(len(SYMBOLS)))]
    entry = float(rng.uniform(50, 150))
    long = bool(rng.random() < 0.6)
    sign = 1 if long else -1
    return {"symbol": symbol, "side": "LONG" if long else "SHORT",
            "timeframe": ("15m", "1h", "4h")[int(rng.integers(3))], "entry": round(entry, 4),
            "tp1": round(entry * (1 + sign * 0.01), 4), "tp2": round(entry * (1 + sign * 0.02), 4),
            "sl": round(entry * (1 - sign * 0.01), 4), "confidence": int(rng.integers(60, 96)),
            "created_at": at.isoformat()}  # fmt: skip


@contextmanager
def store_url(backend: str, folder: Path, pg_url: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'api.db'}"
        return
    with fresh_postgres_database(pg_url, prefix="sigtrack_bench_api") as url:
        yield url


# --- the servers --------------------------------------------------------------------------


@dataclass(slots=True)
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SIGTRACK_") and k != "TELEGRAM_BOT_TOKEN"}  # fmt: skip
    return env | {"SIGTRACK_API_TOKEN": TOKEN}


def start_server(name: str, args: Sequence[str], folder: Path, timeout_s: float = 60) -> Server:
    """Start a server process; wait for the address it prints, then for /healthz or /."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=folder,
                                   env=server_env())  # fmt: skip
    deadline = time.monotonic() + timeout_s
    port = None
    while port is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{name} did not start: {log.read_text()[-2000:]}")
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())
        port = int(found.group(1)) if found else None
        time.sleep(0.05)
    probe = "/healthz" if name == "sigtrack" else "/stats/winrate"
    while True:
        try:
            if get_once(port, probe)[0] == 200:
                return Server(name, process, port, log)
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{name} never answered {probe}: {log.read_text()[-2000:]}")
        time.sleep(0.1)


def stop_server(server: Server) -> int:
    server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        return -9


def sigtrack_args(url: str) -> list[str]:
    sigtrack = str(Path(sys.executable).with_name("sigtrack"))
    return [sigtrack, "--db", url, "serve", "--host", "127.0.0.1", "--port", "0",
            "--no-monitor", "--no-jobs", "--no-bot"]  # fmt: skip


def reference_args(kind: str, bodies: dict[str, Path]) -> list[str]:
    mapping = json.dumps({path: str(file) for path, file in bodies.items()})
    return [sys.executable, str(BENCH_DIR / "api_load.py"), "reference", "--kind", kind,
            "--bodies", mapping]  # fmt: skip


def mirror_bodies(port: int, folder: Path) -> dict[str, Path]:
    """sigtrack's own answers to the two GETs, for the references to send back."""
    bodies = {}
    for n, path in enumerate((WINRATE, BREAKDOWN)):
        status, body = get_once(port, path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        file = folder / f"body-{n}.json"
        file.write_bytes(body)
        bodies[path.split("?")[0]] = file
    return bodies


# --- one load run ---------------------------------------------------------------------------


def summarize(result: LoadResult, connections: int) -> dict[str, Any]:
    lat = np.sort(np.array(result.latencies_ms))
    count = len(lat)

    def q(p: float) -> float:
        return float(lat[min(count - 1, int(p * count))]) if count else float("nan")

    errors = sum(n for status, n in result.statuses.items() if not 200 <= status < 300)
    rps = count / result.elapsed_s if result.elapsed_s > 0 else 0.0
    per_request = lambda cpu: None if cpu is None or not count else 1000 * cpu / count  # noqa: E731
    return {
        "requests": count, "rps": rps, "p50_ms": q(0.50), "p90_ms": q(0.90), "p99_ms": q(0.99),
        "max_ms": float(lat[-1]) if count else float("nan"),
        "mean_ms": float(lat.mean()) if count else float("nan"),
        "errors": errors, "error_samples": result.errors,
        "statuses": {str(k): v for k, v in result.statuses.items()},
        "warmup_requests": result.warmup_requests, "elapsed_s": result.elapsed_s,
        "connections": connections, "client_loop": result.loop,
        "server_cpu_s": result.server_cpu_s, "client_cpu_s": result.client_cpu_s,
        "server_cpu_ms_per_request": per_request(result.server_cpu_s),
        "client_cpu_ms_per_request": per_request(result.client_cpu_s),
    }  # fmt: skip


def load(pool: ProcessPoolExecutor, server: Server, scenario: Scenario, args: argparse.Namespace,
         tag: str) -> dict[str, Any]:  # fmt: skip
    headers = (("Authorization", f"Bearer {TOKEN}"),) if scenario.method == "POST" else ()
    spec = LoadSpec(port=server.port, method=scenario.method, path=scenario.path,
                    server_pid=server.process.pid, headers=headers,
                    post_prefix=f"bench-{tag}-{server.name}", connections=args.connections,
                    warmup_s=args.warmup, duration_s=args.duration,
                    rate=scenario.rate)  # fmt: skip
    figures = summarize(pool.submit(run_load, spec).result(), args.connections)
    console.print(f"    {scenario.name:<20} {server.name:<10} {figures['rps']:8,.0f} req/s  "
                  f"p50 {figures['p50_ms']:6.1f}  p99 {figures['p99_ms']:6.1f}  max "
                  f"{figures['max_ms']:6.1f} ms  errors {figures['errors']}")  # fmt: skip
    return figures


def run_backend(backend: str, folder: Path, args: argparse.Namespace,
                pool: ProcessPoolExecutor) -> dict[str, Any]:  # fmt: skip
    now = datetime.now(UTC).replace(microsecond=0)
    with store_url(backend, folder, args.pg_url) as url:
        console.print(f"[{backend}] seeding {args.signals:,} signals over {args.days} days …")
        seeded = seed_store(url, args.signals, args.days, now, args.seed)
        console.print(f"[{backend}] seeded in {seeded['seed_s']} s ({seeded['closed']:,} closed)")
        in_process = service_calls(url, now, 20 if args.quick else 200)
        console.print(
            f"[{backend}] the service calls alone, in this process: "
            + ", ".join(f"{k[:-3]} {v:.2f} ms" for k, v in in_process.items())
        )
        sigtrack = start_server("sigtrack", sigtrack_args(url), folder)
        servers = [sigtrack]
        try:
            bodies = mirror_bodies(sigtrack.port, folder)
            servers += [start_server(kind, reference_args(kind, bodies), folder)
                        for kind in ("asgi", "fastapi")]  # fmt: skip
            rows: list[dict[str, Any]] = []
            for scenario in SCENARIOS:
                for server in servers[::-1]:  # references first, sigtrack last
                    row = {"scenario": scenario.name, "server": server.name}
                    if (why := beyond_capacity(scenario, server.name, rows)) is not None:
                        console.print(f"    {scenario.name:<20} {server.name:<10} not run: {why}")
                        rows.append(row | {"skipped": why})
                        continue
                    rows.append(row | load(pool, server, scenario, args, f"{backend}-{now:%H%M%S}"))
            profile = profile_winrate(pool, sigtrack, args, backend) if args.py_spy else None
        finally:
            exits = {server.name: stop_server(server) for server in servers}
        sigtrack_log = sigtrack.log.read_text(errors="replace").splitlines()
    add_ratios(rows)
    return {"seeded": seeded, "rows": rows, "exit_codes": exits, "service_calls": in_process,
            "profile": profile,
            "body_bytes": {p: f.stat().st_size for p, f in bodies.items()},
            "sigtrack_log_tail": sigtrack_log[-5:]}  # fmt: skip


def profile_winrate(pool: ProcessPoolExecutor, server: Server, args: argparse.Namespace,
                    backend: str) -> dict[str, Any]:  # fmt: skip
    """After the measured loads: py-spy on the server during one more GET winrate load
    (its figures are not reported: the sampler shares the two cores)."""
    seconds = 5 if args.quick else 10
    out = BENCH_DIR / "results" / f"api-profile-{backend}-{datetime.now(UTC):%Y-%m-%d}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = LoadSpec(port=server.port, method="GET", path=WINRATE, server_pid=server.process.pid,
                    connections=args.connections, warmup_s=1.0,
                    duration_s=seconds + 1.0)  # fmt: skip
    console.print(f"    profiling GET winrate with py-spy for {seconds} s …")
    future = pool.submit(run_load, spec)
    time.sleep(1.0)  # the load's warm-up
    done = api_profile.record(args.py_spy, server.process.pid, seconds, out)
    future.result()
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr or done.stdout)[-1000:]}
    return {"raw": str(out)} | api_profile.top_frames(out)


def beyond_capacity(scenario: Scenario, server: str, rows: list[dict[str, Any]]) -> str | None:
    """Why an open-loop run is left out: the closed loop of the same request on the same
    server already showed it cannot answer that many a second (it would only queue)."""
    if scenario.rate is None:
        return None
    paths = {s.name: s.path for s in SCENARIOS if s.rate is None}
    closed = next((r for r in rows if r["server"] == server and r.get("rps")
                   and paths.get(r["scenario"]) == scenario.path), None)  # fmt: skip
    if closed is None or closed["rps"] >= 0.9 * scenario.rate:
        return None
    return (
        f"the closed loop answered {closed['rps']:,.0f}/s, under 90 % of the "
        f"{scenario.rate:,.0f}/s this would offer"
    )


def service_calls(url: str, now: datetime, runs: int) -> dict[str, float]:
    """The two GETs' service calls alone, in this process (no HTTP, one thread): median ms
    of `runs` calls after one to warm (which also builds any stale rollups), and of the
    time spent inside the driver's `execute` (the SQL itself) in each call."""
    app = build_app(load_settings(env={}, config_file=None, database_url=url))
    in_driver = [0.0]

    @event.listens_for(app.store.engine, "before_cursor_execute")
    def before(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(app.store.engine, "after_cursor_execute")
    def after(conn: Any, *_: Any) -> None:
        in_driver[0] += time.perf_counter() - conn.info.pop("bench_started")

    def breakdown() -> object:
        since, until = app.analysis.window(now=now, days=30)
        return app.analysis.stats("symbol", since=since, until=until)

    calls = {"winrate": lambda: app.tracking.winrate(30, now=now), "breakdown": breakdown}
    figures = {}
    try:
        for name, call in calls.items():
            call()
            times, sql = [], []
            for _ in range(runs):
                in_driver[0] = 0.0
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
                sql.append(in_driver[0])
            figures[f"{name}_ms"] = 1000 * float(np.median(times))
            figures[f"{name}_sql_ms"] = 1000 * float(np.median(sql))
    finally:
        app.store.dispose()
    return figures


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """sigtrack's req/s over each reference's in the same scenario."""
    by = {(r["scenario"], r["server"]): r for r in rows}
    for row in rows:
        for ref in ("asgi", "fastapi"):
            base = by.get((row["scenario"], ref))
            ok = base and base.get("rps") and row.get("rps")
            row[f"ratio_{ref}"] = row["rps"] / base["rps"] if ok else None


# --- the report -------------------------------------------------------------------------------


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def find(scenario: str) -> dict[str, Any]:
        return next(r for r in rows if r["scenario"] == scenario and r["server"] == "sigtrack")

    closed, paced = find("GET winrate"), find("GET winrate @500/s")
    return {
        "closed_loop_met": closed["rps"] >= TARGET_RPS and closed["p99_ms"] <= TARGET_P99_MS,
        "at_500_met": None if "skipped" in paced else (
            paced["rps"] >= 0.98 * TARGET_RPS and paced["p99_ms"] <= TARGET_P99_MS),
    }  # fmt: skip


def table_row(row: dict[str, Any]) -> list[str]:
    if "skipped" in row:
        return [row["scenario"], row["server"], "not run (below)", *("—" for _ in range(9))]
    cpu = row["server_cpu_ms_per_request"]
    ratios = ("—" if row[k] is None or row["server"] != "sigtrack" else f"{row[k]:.3f}"
              for k in ("ratio_asgi", "ratio_fastapi"))  # fmt: skip
    return [row["scenario"], row["server"], f"{row['requests']:,}", f"{row['rps']:,.0f}",
            f"{row['p50_ms']:.1f}", f"{row['p90_ms']:.1f}", f"{row['p99_ms']:.1f}",
            f"{row['max_ms']:.1f}", str(row["errors"]), "—" if cpu is None else f"{cpu:.2f}",
            *ratios]  # fmt: skip


def print_backend(backend: str, r: dict[str, Any], machine: dict[str, Any]) -> None:
    if "skipped" in r:
        console.print(f"{backend}: skipped ({r['skipped']})")
        return
    s = r["seeded"]
    table = Table(
        title=f"{backend}: {s['signals']:,} signals over {s['days']} days "
        f"({s['closed']:,} closed); load average before {machine['load_average_start']}"
    )
    for name in ("scenario", "server", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms",
                 "max ms", "errors", "server CPU ms/req", "÷ asgi", "÷ fastapi"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("scenario", "server") else "right")
    for row in r["rows"]:
        table.add_row(*table_row(row))
    console.print(table)
    for row in r["rows"]:
        if "skipped" in row:
            console.print(f"  {row['scenario']} on {row['server']} not run: {row['skipped']}")
    if (profile := r.get("profile")) is not None:
        print_profile(profile)
    v, calls = r["verdict"], r["service_calls"]
    at_500 = {None: "not run", True: "met", False: "MISSED"}[v["at_500_met"]]
    console.print(f"  target ≥ {TARGET_RPS:.0f} req/s GET winrate with p99 ≤ {TARGET_P99_MS:.0f} "
                  f"ms: closed loop ({r['rows'][0]['connections']} connections) "
                  f"{'met' if v['closed_loop_met'] else 'MISSED'}; at an offered 500/s "
                  f"{at_500}. The service calls alone, in the bench process: winrate "
                  f"{calls['winrate_ms']:.2f} ms (SQL {calls['winrate_sql_ms']:.2f}), breakdown "
                  f"{calls['breakdown_ms']:.2f} ms (SQL {calls['breakdown_sql_ms']:.2f}). "
                  f"Server exit codes {r['exit_codes']}")  # fmt: skip


def print_profile(profile: dict[str, Any]) -> None:
    if "error" in profile:
        console.print(f"  py-spy failed: {profile['error']}")
        return
    console.print(f"  py-spy on GET winrate ({profile['samples']:,} samples holding the GIL; "
                  f"{profile['raw']}):")  # fmt: skip
    for title, key, count in (("inclusive", "inclusive_pct", 14), ("own", "own_pct", 8)):
        shown = "; ".join(f"{pct}% {frame}" for frame, pct in profile[key][:count])
        console.print(f"    {title}: {shown}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 signals, 0.5 + 2 s a load")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("SIGTRACK_BENCH_PG_URL",
                                                           DEFAULT_PG_URL))  # fmt: skip
    parser.add_argument("--signals", type=int, help="signals seeded (default 20,000)")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, help="seconds (default 2)")
    parser.add_argument("--duration", type=float, help="seconds measured (default 10)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/…)")
    parser.add_argument("--py-spy", metavar="PATH", help="profile GET winrate with this py-spy")
    args = parser.parse_args(argv)
    quick = args.quick
    args.signals = args.signals or (2_000 if quick else 20_000)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if quick else 2.0)
    args.duration = args.duration or (2.0 if quick else 10.0)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    machine = base_machine_info()
    results: dict[str, Any] = {}
    spawn = multiprocessing.get_context("spawn")
    with (tempfile.TemporaryDirectory(prefix="sigtrack-api-") as tmp,
          ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool):  # fmt: skip
        for backend in args.backends.split(","):
            folder = Path(tmp) / backend
            folder.mkdir()
            try:
                results[backend] = run_backend(backend, folder, args, pool)
                results[backend]["verdict"] = verdict(results[backend]["rows"])
            except Skipped as exc:
                results[backend] = {"skipped": str(exc)}
    machine["load_average_end"] = os.getloadavg()
    for backend, r in results.items():
        print_backend(backend, r, machine)
    suffix = "-quick" if args.quick else ""
    path = args.out or BENCH_DIR / "results" / f"api-{started:%Y-%m-%d}{suffix}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: getattr(args, k) for k in ("signals", "days", "connections", "warmup",
                                              "duration", "seed", "quick")}  # fmt: skip
    document = {"date": started.isoformat(timespec="seconds"), "settings": settings,
                "machine": machine, "results": results}  # fmt: skip
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
