"""Settling benchmark: sigtrack's batch engine beside backtesting.py and vectorbt (issue 3).

    .venv/bin/python bench/settle.py [--quick] [--engine-only] [--commit REV] [--peer-seconds S]
                                     [--seed N] [--out PATH]

On a generated year of 1-minute candles (bench/settle_market.py) it measures:

- sigtrack `settle_many` for N = 1e3 … 1e6 signals, full exit plan (with MFE / MAE) and
  single target, in creation order and shuffled (each right after the other): signals/s
  without and with the one-off sparse-table build, by the clock and by CPU time, and memory;
- the same at median holds of about 200, 2,000 and 20,000 candles;
- a compiled (numba) linear scan of the same rules, for scale and as an independent check;
- backtesting.py (one `Backtest` per signal) and vectorbt (`Portfolio.from_signals` with
  `sl_stop` / `tp_stop`) on the same single-target signals for a bounded time each, with
  their rate extrapolated, and a count of agreements on result, exit candle and exit price,
  every disagreement sorted by cause;
- the same agreement counts on the real series in ../shared/data/candles when present.

Every measurement runs in a fresh worker process (`--worker`, one at a time) with
OMP / OpenBLAS / MKL / numba held to one thread, and records a speed reference (µs for
`sum(range(1000))`) taken just before it, so that a slow figure can be told from a busy
machine. `--engine-only` measures sigtrack's rows alone. Prints tables and writes
`bench/results/settle-<date>.json`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import tracemalloc
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from settle_market import (
    SCENARIOS,
    Scenario,
    SignalArrays,
    draw_signals,
    real_series,
    rule_cases,
    year_of_candles,
)
from settle_peers import (
    Agreement,
    Exits,
    compare_full,
    compare_single,
    compile_scan,
    run_backtesting,
    run_scan,
    run_vectorbt,
    sigtrack_exits,
)
from sigtrack.core.batch_signals import OutcomeBatch, SignalBatch
from sigtrack.core.candles import Candles
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.resolution import CandleIndex, settle_many
from store import base_machine_info, source_version

BENCH_DIR = Path(__file__).resolve().parent
REAL_DIR = BENCH_DIR.parent.parent / "shared" / "data" / "candles"
ONE_THREAD = {
    name: "1"
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMBA_NUM_THREADS",
    )
}
PLANS = {"full": (0.5, 0.5), "single": (1.0,)}
# The order of the signals in a batch: "created" is how a store hands them over (by
# creation time), "random" the worst case (every search and gather far from the last).
ORDERS = ("created", "random")
console = Console()
if not console.is_terminal:
    console = Console(width=150)


# --- what to run ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Params:
    sizes: tuple[int, ...]  # N for the throughput table
    hold_n: int  # N for each row of the hold-growth table
    scan_n: tuple[int, ...]  # N per hold row for the compiled scan and its check of sigtrack
    peer_pool: int  # signals drawn for the peers (they settle as many as their time allows)
    peer_seconds: tuple[float, ...]  # time bound per peer, per hold row
    real_signals: int  # signals per real series
    real_peer_seconds: float  # time bound for backtesting.py per real series


FULL = Params(
    sizes=(1_000, 10_000, 100_000, 1_000_000),
    hold_n=1_000_000,
    scan_n=(1_000_000, 1_000_000, 100_000),
    peer_pool=100_000,
    peer_seconds=(60.0, 30.0, 30.0),
    real_signals=200,
    real_peer_seconds=4.0,
)
QUICK = Params(
    sizes=(1_000, 10_000, 100_000),
    hold_n=10_000,
    scan_n=(10_000, 10_000, 2_000),
    peer_pool=2_000,
    peer_seconds=(4.0, 2.0, 2.0),
    real_signals=20,
    real_peer_seconds=0.2,
)

# Targets of issue 3 (one core).
TARGET_RATE = 1_000_000  # signals/s, full exit plan with MFE / MAE, median hold ≈ 200
# For scale, measured on a machine of this kind (issue 3), single-target signals/s:
ISSUE_SCALE = {
    "backtesting.py": "≈ 300/s",
    "vectorbt": "≈ 4,500/s (≈ 750/s week-long holds)",
    "compiled linear scan": "≈ 1.5M/s (≈ 270k/s week-long holds)",
    "numpy sparse-table search": "≈ 2.5M/s whatever the hold",
}


# --- workers (each in its own process) -----------------------------------------------------


def load_candles(folder: Path) -> Candles:
    with np.load(folder / "year.npz") as data:
        return Candles(**{name: data[name] for name in data.files}, step_ms=60_000)


def job_candles(job: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    candles = year_of_candles(job["seed"])
    seconds = time.perf_counter() - started
    np.savez(
        Path(job["dir"]) / "year.npz",
        **{
            name: getattr(candles, name)
            for name in ("open_time_ms", "open", "high", "low", "close", "volume")
        },
    )
    r = np.diff(np.log(candles.close))
    centred = r - r.mean()
    absolute = np.abs(r)
    return {
        "candles": len(candles),
        "generate_s": round(seconds, 2),
        "price_min": float(candles.low.min()),
        "price_max": float(candles.high.max()),
        "return_std_pct": 100 * float(r.std()),
        "median_abs_return_pct": 100 * float(np.median(absolute)),
        "median_range_pct": 100 * float(np.median((candles.high - candles.low) / candles.open)),
        "annualised_vol_pct": 100 * float(r.std() * np.sqrt(len(r))),
        "excess_kurtosis": float(np.mean(centred**4) / np.mean(centred**2) ** 2 - 3),
        "abs_return_autocorr": {
            str(lag): float(np.corrcoef(absolute[:-lag], absolute[lag:])[0, 1])
            for lag in (1, 60, 1440)
        },
        "open_is_previous_close_pct": 100 * float(np.mean(candles.open[1:] == candles.close[:-1])),
    }


def batch_of(signals: SignalArrays, policy: ResolutionPolicy) -> SignalBatch:
    legs = len(policy.exit_plan)
    return SignalBatch.from_arrays(
        is_long=signals.is_long,
        entry=signals.entry,
        stop=signals.stop,
        targets=signals.targets[:, :legs],
        created_ms=signals.created_ms,
        life_ms=signals.life_ms,
        policy=policy,
    )


def speed_reference_us() -> float:
    """The machine's speed just now: µs for `sum(range(1000))` (best of 5; 26 µs on the VM of
    bench/README.md when idle). Settling slows with it when other work shares the cores."""
    return min(timeit.repeat("sum(range(1000))", number=2_000, repeat=5)) / 2_000 * 1e6


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def job_sigtrack(job: dict[str, Any]) -> dict[str, Any]:
    """sigtrack alone: rate without and with the table build, memory, and what it settled."""
    candles = load_candles(Path(job["dir"]))
    scenario = SCENARIOS[job["scenario"]]
    policy = ResolutionPolicy(exit_plan=PLANS[job["plan"]])
    signals = draw_signals(candles, job["n"], job["seed"], scenario)
    if job["order"] == "created":
        signals = signals.take(np.argsort(signals.created_ms, kind="stable"))
    started = time.perf_counter()
    batch = batch_of(signals, policy)
    from_arrays_s = time.perf_counter() - started
    gc.collect()
    rss_before = max_rss_mb()
    started = time.perf_counter()
    index = CandleIndex(candles)
    outcome = settle_many(batch, index, policy)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    CandleIndex(candles).ensure(scenario.life_candles + 1)
    build_s = time.perf_counter() - started
    gc.collect()
    speed_us = speed_reference_us()
    warm, warm_cpu = [], []
    for _ in range(job["repeats"]):
        started, started_cpu = time.perf_counter(), time.process_time()
        settle_many(batch, index, policy)
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - started_cpu)
    rss_peak = max_rss_mb()
    gc.collect()
    tracemalloc.start()
    settle_many(batch, index, policy)
    traced_warm = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tracemalloc.start()
    settle_many(batch, CandleIndex(candles), policy)
    traced_cold = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    warm_s = statistics.median(warm)
    return {
        "n": job["n"],
        "plan": job["plan"],
        "scenario": job["scenario"],
        "order": job["order"],
        "from_arrays_s": from_arrays_s,
        "settle_s": warm_s,
        "settle_runs_s": warm,
        "settle_with_build_s": cold_s,
        "table_build_s": build_s,
        "rate_per_s": job["n"] / warm_s,
        "settle_cpu_runs_s": warm_cpu,
        "rate_cpu_per_s": job["n"] / statistics.median(warm_cpu),
        "speed_reference_us": speed_us,
        "rate_with_build_per_s": job["n"] / cold_s,
        "table_levels": index.levels,
        "table_mb": index.flat.nbytes / 2**20,
        "rss_before_mb": rss_before,
        "rss_peak_mb": rss_peak,
        "traced_peak_settle_mb": traced_warm / 2**20,
        "traced_peak_with_build_mb": traced_cold / 2**20,
        **outcome_stats(outcome, signals, candles),
    }


def outcome_stats(outcome: OutcomeBatch, signals: SignalArrays, candles: Candles) -> dict[str, Any]:
    exits = sigtrack_exits(outcome, signals, candles)
    last = np.max(exits.exit_idx, axis=1)
    hold = last - signals.start + 1
    kinds = np.bincount(outcome.close_kind, minlength=4) / len(outcome)
    wins = outcome.legs_done > 0
    return {
        "median_hold": float(np.median(hold)),
        "median_hold_closed": float(np.median(hold[outcome.close_kind != 3]))
        if np.any(outcome.close_kind != 3)
        else None,
        "win_pct": 100 * float(np.mean(wins)),
        "loss_pct": 100 * float(np.mean((outcome.close_kind == 2) & ~wins)),
        "expired_pct": 100 * float(np.mean((outcome.close_kind == 3) & ~wins)),
        "closed_at_target_pct": 100 * float(kinds[1]),
        "ambiguous": int(outcome.is_ambiguous.sum()),
        "median_mfe_pct": float(np.median(outcome.mfe_pct)),
        "median_mae_pct": float(np.median(outcome.mae_pct)),
    }


def job_scan(job: dict[str, Any]) -> dict[str, Any]:
    """The compiled scan: its rate, and every field of it against sigtrack's, per row."""
    candles = load_candles(Path(job["dir"]))
    index = CandleIndex(candles)
    started = time.perf_counter()
    scan = compile_scan()
    tiny = draw_signals(candles, 10, job["seed"], SCENARIOS["hold200"])
    run_scan(scan, candles, tiny, 2)
    compile_s = time.perf_counter() - started
    rows = {}
    for name, n in zip(job["scenarios"], job["sizes"], strict=True):
        signals = draw_signals(candles, n, job["seed"], SCENARIOS[name])
        for plan, fractions in PLANS.items():
            policy = ResolutionPolicy(exit_plan=fractions)
            outcome = settle_many(batch_of(signals, policy), index, policy)
            ours = sigtrack_exits(outcome, signals, candles)
            exits, fav, adv, seconds = run_scan(scan, candles, signals, len(fractions))
            check = compare_full(ours, exits)
            check["same_mfe_mae"] = int(np.sum((fav == outcome.fav_max) & (adv == outcome.adv_max)))
            in_order = signals.take(np.argsort(signals.created_ms, kind="stable"))
            seconds_created = run_scan(scan, candles, in_order, len(fractions))[3]
            rows[f"{name}/{plan}"] = {
                "n": n,
                "scan_random_s": seconds,
                "scan_created_s": seconds_created,
                "rate_per_s": n / seconds,
                "rate_created_per_s": n / seconds_created,
                "agreement_with_sigtrack": check,
                "median_hold": outcome_stats(outcome, signals, candles)["median_hold"],
            }
            console.print(
                f"  scan {name}/{plan}: {n / seconds_created:,.0f}/s created, "
                f"{n / seconds:,.0f}/s random; {check}",
                highlight=False,
            )
    return {"compile_s": compile_s, "rows": rows}


def job_peers(job: dict[str, Any]) -> dict[str, Any]:
    """backtesting.py and vectorbt against sigtrack, bounded in time; then the real series."""
    import vectorbt  # noqa: F401, PLC0415 (import time kept out of the measurements)

    candles = load_candles(Path(job["dir"]))
    started = time.perf_counter()
    warm = draw_signals(candles, 4, job["seed"], SCENARIOS["hold200"])
    run_vectorbt(candles, warm, 0.0)
    run_backtesting(candles, warm, 0.0, min_signals=1)
    scan = compile_scan()
    run_scan(scan, candles, warm, 1)
    warmup_s = time.perf_counter() - started
    out: dict[str, Any] = {"warmup_s": warmup_s, "rows": {}}
    for name, budget in zip(job["scenarios"], job["budgets"], strict=True):
        signals = draw_signals(candles, job["pool"], job["seed"] + 1, SCENARIOS[name])
        out["rows"][name] = compare_peers(candles, signals, budget, scan)
        report_row(name, out["rows"][name])
    out["rules"] = rule_comparison(scan)
    out["real"] = real_comparison(job, scan)
    return out


def rule_comparison(scan: Any) -> list[dict[str, Any]]:
    """One signal per same-candle rule through every engine: each answer, and the cause."""
    policy = ResolutionPolicy(exit_plan=(1.0,))
    found = []
    for rule, side, candles, signal in rule_cases():
        ours = sigtrack_exits(
            settle_many(batch_of(signal, policy), candles, policy), signal, candles
        )
        answers = {
            "scan": run_scan(scan, candles, signal, 1)[0],
            "backtesting": run_backtesting(candles, signal, 0.0, min_signals=1)[0],
            "vectorbt": run_vectorbt(candles, signal, 0.0)[0],
        }
        row: dict[str, Any] = {"rule": rule, "side": side, "sigtrack": _brief(ours)}
        for peer, exits in answers.items():
            agreement = compare_single(ours, exits, np.arange(1), candles, signal, peer)
            row[peer] = _brief(exits)
            row[f"{peer}_cause"] = next(iter(agreement.categories), "agrees")
        found.append(row)
    return found


def _brief(exits: Exits) -> str:
    """`WIN 102 @1`: the result, the exit price and the exit candle (0: the signal's own)."""
    result = {1: "WIN", 2: "LOSS", 3: "EXPIRED"}.get(int(exits.kind[0]), "none")
    return f"{result} {float(exits.exit_price[0, 0]):g} @{int(exits.exit_idx[0, 0])}"


def compare_peers(
    candles: Candles, signals: SignalArrays, budget: float, scan: Any
) -> dict[str, Any]:
    policy = ResolutionPolicy(exit_plan=(1.0,))
    started = time.perf_counter()
    outcome = settle_many(batch_of(signals, policy), candles, policy)
    sigtrack_s = time.perf_counter() - started
    ours = sigtrack_exits(outcome, signals, candles)
    scanned, _, _, scan_s = run_scan(scan, candles, signals, 1)
    bt, bt_done, bt_s = run_backtesting(candles, signals, budget)
    vb, vb_done, vb_s, inexact = run_vectorbt(candles, signals, budget)
    both = min(bt_done, vb_done)
    everyone = np.arange(len(signals))
    row = {
        "pool": len(signals),
        "median_hold": outcome_stats(outcome, signals, candles)["median_hold"],
        "life_candles": int(np.median(signals.end - signals.start)),
        "sigtrack": {
            "done": len(signals),
            "seconds": sigtrack_s,
            "note": "includes the table build",
        },
        "scan": {"done": len(signals), "seconds": scan_s},
        "backtesting": {"done": bt_done, "seconds": bt_s},
        "vectorbt": {
            "done": vb_done,
            "seconds": vb_s,
            "levels_not_exact": int(inexact[:vb_done].sum()),
        },
        "agreement": {
            "scan": compare_single(ours, scanned, everyone, candles, signals, "scan").to_json(),
            "backtesting": compare_single(
                ours, bt, everyone[:bt_done], candles, signals, "backtesting"
            ).to_json(),
            "vectorbt": compare_single(
                ours, vb, everyone[:vb_done], candles, signals, "vectorbt", inexact
            ).to_json(),
            "backtesting_vs_vectorbt": peers_alike(bt, vb, both),
        },
    }
    for peer in ("sigtrack", "scan", "backtesting", "vectorbt"):
        entry = row[peer]
        entry["rate_per_s"] = entry["done"] / entry["seconds"] if entry["seconds"] else None
    return row


def peers_alike(bt: Exits, vb: Exits, count: int) -> dict[str, int]:
    rows = np.arange(count)
    same = (
        (bt.kind[rows] == vb.kind[rows])
        & (bt.exit_idx[rows, 0] == vb.exit_idx[rows, 0])
        & (bt.exit_price[rows, 0] == vb.exit_price[rows, 0])
    )
    return {"compared": count, "all_three": int(same.sum())}


def report_row(name: str, row: dict[str, Any]) -> None:
    parts = []
    for peer in ("backtesting", "vectorbt", "scan"):
        agreement = row["agreement"][peer]
        parts.append(
            f"{peer} {row[peer]['done']:,} at {row[peer]['rate_per_s']:,.0f}/s, "
            f"all three same {agreement['all_three']:,}/{agreement['compared']:,}"
        )
    console.print(f"  peers {name}: " + "; ".join(parts), highlight=False)


def real_comparison(job: dict[str, Any], scan: Any) -> dict[str, Any]:
    folder = Path(job["real_dir"])
    if not folder.is_dir():
        return {"skipped": f"{folder} is absent"}
    totals = {peer: Agreement() for peer in ("scan", "backtesting", "vectorbt")}
    full_total: dict[str, int] = {}
    files = []
    for series in real_series(folder):
        candles = series.candles
        life = min(480, len(candles) // 3)
        scenario = Scenario("real", (1.0, 2.5), (1.0, 2.5), (1.5, 2.0), life)
        signals = draw_signals(
            candles,
            job["real_signals"],
            job["seed"],
            scenario,
            tick=series.tick,
            scale=400 * series.sigma,
        )
        everyone = np.arange(len(signals))
        single = ResolutionPolicy(exit_plan=(1.0,))
        ours = sigtrack_exits(
            settle_many(batch_of(signals, single), candles, single), signals, candles
        )
        full = ResolutionPolicy()
        full_outcome = settle_many(batch_of(signals, full), candles, full)
        full_check = compare_full(
            sigtrack_exits(full_outcome, signals, candles), run_scan(scan, candles, signals, 2)[0]
        )
        for key, value in full_check.items():
            full_total[key] = full_total.get(key, 0) + value
        scanned = run_scan(scan, candles, signals, 1)[0]
        bt, bt_done, _ = run_backtesting(candles, signals, job["real_peer_seconds"])
        vb, vb_done, _, inexact = run_vectorbt(candles, signals, 60.0)
        found = {
            "scan": compare_single(ours, scanned, everyone, candles, signals, "scan"),
            "backtesting": compare_single(
                ours, bt, everyone[:bt_done], candles, signals, "backtesting"
            ),
            "vectorbt": compare_single(
                ours, vb, everyone[:vb_done], candles, signals, "vectorbt", inexact
            ),
        }
        for peer, agreement in found.items():
            totals[peer].add(agreement)
        files.append(
            {
                "file": series.name,
                "candles": len(candles),
                "missing_slots": series.gaps,
                "tick": series.tick,
                "life_candles": life,
                "median_hold": outcome_stats(full_outcome, signals, candles)["median_hold"],
                "agreement": {peer: a.to_json() for peer, a in found.items()},
                "full_plan_vs_scan": full_check,
            }
        )
        console.print(
            f"  real {series.name}: "
            + ", ".join(f"{p} {a.all_three}/{a.compared}" for p, a in found.items()),
            highlight=False,
        )
    return {
        "files": files,
        "total": {peer: a.to_json() for peer, a in totals.items()},
        "full_plan_vs_scan": full_total,
        "throughput": real_throughput(folder),
    }


def real_throughput(folder: Path) -> dict[str, Any] | None:
    """sigtrack on the longest real 1-minute series (real gaps), 100,000 signals."""
    series = [s for s in real_series(folder) if s.candles.step_ms == 60_000]
    if not series:
        return None
    longest = max(series, key=lambda s: len(s.candles))
    scenario = Scenario("real", (1.0, 2.5), (1.0, 2.5), (1.5, 2.0), 480)
    signals = draw_signals(
        longest.candles, 100_000, 7, scenario, tick=longest.tick, scale=400 * longest.sigma
    )
    policy = ResolutionPolicy()
    batch = batch_of(signals, policy)
    index = CandleIndex(longest.candles)
    settle_many(batch, index, policy)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        settle_many(batch, index, policy)
        runs.append(time.perf_counter() - started)
    return {
        "file": longest.name,
        "candles": len(longest.candles),
        "n": len(signals),
        "plan": "full",
        "rate_per_s": len(signals) / statistics.median(runs),
    }


WORKERS = {"candles": job_candles, "sigtrack": job_sigtrack, "scan": job_scan, "peers": job_peers}


def run_worker(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a fresh process (one thread per library); return its JSON answer."""
    env = os.environ | ONE_THREAD | {"TQDM_DISABLE": "1"}  # backtesting.py's progress bars
    if job.get("src"):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [job["src"], env.get("PYTHONPATH")]))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(job)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {job['kind']} failed with exit code {done.returncode}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    answer["wall_s"] = time.perf_counter() - started
    return answer


def worker_main(spec: str) -> int:
    job = json.loads(spec)
    global console  # noqa: PLW0603 (worker output goes to stderr; stdout carries the JSON)
    console = Console(stderr=True, width=150)
    answer = WORKERS[job["kind"]](job)
    answer["process_peak_rss_mb"] = max_rss_mb()
    answer["sigtrack_from"] = str(Path(sys.modules["sigtrack"].__file__ or "?").parent)
    print(json.dumps(answer, default=_json_default))
    return 0


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON: {type(value)}")


# --- the run ---------------------------------------------------------------------------------


def repeats_for(n: int) -> int:
    return 21 if n <= 10_000 else 7 if n <= 100_000 else 3


def run_all(
    p: Params, seed: int, folder: Path, src: str | None, *, engine_only: bool = False
) -> dict[str, Any]:
    base = {"dir": str(folder), "seed": seed, "src": src}
    console.rule("candles")
    results: dict[str, Any] = {"candles": run_worker({**base, "kind": "candles"})}
    console.print(_candle_line(results["candles"]), highlight=False)
    console.rule("sigtrack: throughput (a fresh process each)")
    measured: dict[tuple[str, str, str, int], dict[str, Any]] = {}

    def sigtrack(scenario: str, plan: str, order: str, n: int) -> dict[str, Any]:
        key = (scenario, plan, order, n)
        if key not in measured:
            measured[key] = run_worker(
                {**base, "kind": "sigtrack", "n": n, "plan": plan, "scenario": scenario,
                 "order": order, "repeats": repeats_for(n)}
            )  # fmt: skip
            console.print(_rate_line(measured[key]), highlight=False)
        return measured[key]

    # each order beside the other, so that both see the same load
    results["throughput"] = [
        sigtrack("hold200", plan, order, n) for plan in PLANS for n in p.sizes for order in ORDERS
    ]
    console.rule("sigtrack: hold growth")
    results["holds"] = [
        sigtrack(name, plan, order, p.hold_n)
        for name in SCENARIOS
        for plan in PLANS
        for order in ORDERS
    ]
    if engine_only:
        return results
    console.rule("compiled linear scan (numba), checked field by field against sigtrack")
    results["scan"] = run_worker(
        {**base, "kind": "scan", "sizes": list(p.scan_n), "scenarios": list(SCENARIOS)}
    )
    console.rule("peers: backtesting.py and vectorbt (bounded), then the real series")
    results["peers"] = run_worker(
        {**base, "kind": "peers", "pool": p.peer_pool, "scenarios": list(SCENARIOS),
         "budgets": list(p.peer_seconds), "real_dir": str(REAL_DIR),
         "real_signals": p.real_signals, "real_peer_seconds": p.real_peer_seconds}
    )  # fmt: skip
    return results


def _candle_line(c: dict[str, Any]) -> str:
    return (
        f"{c['candles']:,} candles in {c['generate_s']:.1f} s; price {c['price_min']:,.0f}–"
        f"{c['price_max']:,.0f}; σ/min {c['return_std_pct']:.3f} %, median |move| "
        f"{c['median_abs_return_pct']:.3f} %, median range {c['median_range_pct']:.3f} %, "
        f"annualised {c['annualised_vol_pct']:.0f} %, excess kurtosis {c['excess_kurtosis']:.0f}"
    )


def _rate_line(row: dict[str, Any]) -> str:
    return (
        f"  {row['scenario']} {row['plan']:>6} {row['order']:>7} N={row['n']:>9,}: "
        f"{row['rate_per_s']:>12,.0f}/s ({row['rate_cpu_per_s']:,.0f}/s of CPU time, "
        f"{row['rate_with_build_per_s']:,.0f}/s with the table build), median hold "
        f"{row['median_hold']:,.0f}, peak RSS {row['rss_peak_mb']:,.0f} MB, speed reference "
        f"{row['speed_reference_us']:.1f} µs"
    )


# --- tables -----------------------------------------------------------------------------------


def fmt_rate(rate: float | None) -> str:
    if rate is None:
        return "—"
    if rate < 10:
        return f"{rate:.1f}/s"
    if rate >= 1e6:
        return f"{rate / 1e6:.2f}M/s"
    if rate >= 1e4:
        return f"{rate / 1e3:.0f}k/s"
    return f"{rate:,.0f}/s"


def fmt_time(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 600:
        return f"{seconds:.2f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def print_tables(p: Params, results: dict[str, Any]) -> None:
    print_throughput(p, results)
    print_holds(results)
    print_orders(results)
    if "peers" in results:  # not with --engine-only
        print_rules(results)
        print_agreement(results)


def print_throughput(p: Params, results: dict[str, Any]) -> None:
    table = Table(title="Settling a year of 1-minute candles (525,600), median hold ≈ 200")
    table.add_column("engine")
    for n in p.sizes:
        table.add_column(f"N = {n:,}", justify="right")
    table.add_column("peak RSS / traced", justify="right")
    table.add_column("target", justify="right")
    rows = {(r["order"], r["plan"], r["n"]): r for r in results["throughput"]}
    for order in ORDERS:
        for plan, label in (("full", "full plan + MFE/MAE"), ("single", "one target")):
            table.add_row(*_sigtrack_cells(p, rows, order, plan, f"sigtrack, {label}, {order}"))
            cells = [
                f"{fmt_rate(rows[order, plan, n]['rate_with_build_per_s'])} "
                f"({fmt_time(rows[order, plan, n]['settle_with_build_s'])})"
                for n in p.sizes
            ]
            table.add_row("  … with the table build", *cells, "", "")
    if "peers" in results:  # not with --engine-only
        _add_peer_rows(table, p, results)
    console.print(table)
    console.print(
        "  sigtrack: median of repeated calls on a built CandleIndex; '… with the table "
        "build': one call on a fresh one. created: signals in creation order (as a store "
        "returns them); random: shuffled, measured right after created (× created: the "
        "ratio of the two at the largest N). Peak RSS: the whole worker process (ru_maxrss); "
        "traced: tracemalloc peak of one settle_many with the table build.",
        highlight=False,
    )


def _add_peer_rows(table: Table, p: Params, results: dict[str, Any]) -> None:
    peers = results["peers"]["rows"]["hold200"]
    scan = results["scan"]["rows"]
    for plan, label in (("single", "one target"), ("full", "full plan")):
        for order, key in (("created", "rate_created_per_s"), ("random", "rate_per_s")):
            rate = scan[f"hold200/{plan}"][key]
            scale = ISSUE_SCALE["compiled linear scan"] if plan == "single" else ""
            table.add_row(
                f"compiled linear scan (numba), {label}, {order}",
                *[f"{fmt_rate(rate)} ({fmt_time(n / rate)}†)" for n in p.sizes], "",
                scale if order == "created" else "",
            )  # fmt: skip
    for peer, label in (("vectorbt", "vectorbt"), ("backtesting", "backtesting.py")):
        rate = peers[peer]["rate_per_s"]
        done = peers[peer]["done"]
        cells = [
            f"{fmt_rate(rate)} ({fmt_time(n / rate)}{'*' if n > done else ''})" for n in p.sizes
        ]
        table.add_row(f"{label}, one target ({done:,} run)", *cells, "", ISSUE_SCALE[label])
    table.add_row(
        f"  * extrapolated from the signals run in the time bound; † from the scan's rate at "
        f"N = {scan['hold200/single']['n']:,}"
    )


def _sigtrack_cells(
    p: Params, rows: dict[tuple[str, str, int], dict[str, Any]], order: str, plan: str, label: str
) -> list[str]:
    measured = [rows[order, plan, n] for n in p.sizes]
    cells = [f"{fmt_rate(r['rate_per_s'])} ({fmt_time(r['settle_s'])})" for r in measured]
    big = measured[-1]
    memory = f"{big['rss_peak_mb']:,.0f} / {big['traced_peak_with_build_mb']:,.0f} MB"
    verdict = ""
    if plan == "full":
        verdict = "≥ 1M/s " + ("PASS" if big["rate_per_s"] >= TARGET_RATE else "FAIL")
    if order != "created":
        ratio = big["rate_per_s"] / rows["created", plan, big["n"]]["rate_per_s"]
        verdict = "; ".join(filter(None, [verdict, f"{ratio:.2f}× created"]))
    return [label, *cells, memory, verdict]


def print_holds(results: dict[str, Any]) -> None:
    table = Table(title="Cost as the holding time grows (sigtrack: created / random order)")
    for title in ("row", "life", "median hold full / one", "sigtrack full", "sigtrack one",
                  "scan one", "scan full", "vectorbt", "backtesting.py"):  # fmt: skip
        table.add_column(title, justify="right")
    rows = {(r["scenario"], r["plan"], r["order"]): r for r in results["holds"]}
    for name, scenario in SCENARIOS.items():

        def both(plan: str, name: str = name) -> str:
            return " / ".join(fmt_rate(rows[name, plan, order]["rate_per_s"]) for order in ORDERS)

        table.add_row(
            name,
            f"{scenario.life_candles:,}",
            f"{rows[name, 'full', 'created']['median_hold']:,.0f} / "
            f"{rows[name, 'single', 'created']['median_hold']:,.0f}",
            both("full"),
            both("single"),
            *_peer_hold_cells(results, name),
        )
    console.print(table)


def _peer_hold_cells(results: dict[str, Any], name: str) -> list[str]:
    if "peers" not in results:  # --engine-only
        return ["—"] * 4
    scan = results["scan"]["rows"]
    peers = results["peers"]["rows"][name]
    orders = ("rate_created_per_s", "rate_per_s")
    return [
        " / ".join(fmt_rate(scan[f"{name}/single"][key]) for key in orders),
        " / ".join(fmt_rate(scan[f"{name}/full"][key]) for key in orders),
        f"{fmt_rate(peers['vectorbt']['rate_per_s'])} ({peers['vectorbt']['done']:,})",
        f"{fmt_rate(peers['backtesting']['rate_per_s'])} ({peers['backtesting']['done']:,})",
    ]


def print_orders(results: dict[str, Any]) -> None:
    """Shuffled beside created order at the largest N of each row: by the clock and by CPU."""
    table = Table(
        title="Shuffled against creation order (the same signals, one right after the other)"
    )
    for title in ("row", "plan", "N", "created", "shuffled", "ratio", "created, CPU",
                  "shuffled, CPU", "ratio, CPU", "speed ref. µs", "target"):  # fmt: skip
        table.add_column(title, justify="right")
    rows = {(r["scenario"], r["plan"], r["order"], r["n"]): r for r in results["holds"]}
    rows |= {(r["scenario"], r["plan"], r["order"], r["n"]): r for r in results["throughput"]}
    names = list(SCENARIOS)
    for scenario, plan, order, n in sorted(rows, key=lambda k: (names.index(k[0]), k[1])):
        if order != "created" or (scenario, plan, "random", n) not in rows:
            continue
        if n != max(k[3] for k in rows if k[:2] == (scenario, plan)):
            continue
        created, shuffled = rows[scenario, plan, "created", n], rows[scenario, plan, "random", n]
        rate, cpu = shuffled["rate_per_s"], shuffled["rate_cpu_per_s"]
        table.add_row(
            scenario, plan, f"{n:,}",
            fmt_rate(created["rate_per_s"]), fmt_rate(rate),
            f"{rate / created['rate_per_s']:.2f}",
            fmt_rate(created["rate_cpu_per_s"]), fmt_rate(cpu),
            f"{cpu / created['rate_cpu_per_s']:.2f}",
            f"{created['speed_reference_us']:.1f} / {shuffled['speed_reference_us']:.1f}",
            ("≥ 1M/s " + ("PASS" if rate >= TARGET_RATE else "FAIL")) if plan == "full" else "",
        )  # fmt: skip
    console.print(table)
    console.print(
        "  CPU: N ÷ the median CPU time of the same calls (time.process_time), which other "
        "work on the cores inflates less than the clock; speed ref.: µs for sum(range(1000)) "
        "just before each worker's timed calls (26 µs on the idle VM of bench/README.md).",
        highlight=False,
    )


def print_rules(results: dict[str, Any]) -> None:
    table = Table(title="One signal per rule (entry 100, stop 98, target 102; SHORT mirrored)")
    for title in ("rule", "side", "sigtrack", "scan", "backtesting.py", "vectorbt"):
        table.add_column(title)
    for row in results["peers"]["rules"]:
        cells = [row["sigtrack"]]
        for peer in ("scan", "backtesting", "vectorbt"):
            mark = "" if row[f"{peer}_cause"] == "agrees" else " ≠"
            cells.append(row[peer] + mark)
        table.add_row(row["rule"], row["side"], *cells)
    console.print(table)
    console.print(
        "  result, exit price @ exit candle (0: the signal's own candle); ≠: differs from sigtrack",
        highlight=False,
    )


def print_agreement(results: dict[str, Any]) -> None:
    table = Table(title="Agreement with sigtrack, one target, sl_first")
    for title in ("inputs", "peer", "compared", "same result", "same exit candle",
                  "same exit price", "all three"):  # fmt: skip
        table.add_column(title, justify="right")
    sections = [(name, row["agreement"]) for name, row in results["peers"]["rows"].items()]
    real = results["peers"]["real"]
    if "total" in real:
        sections.append((f"real ({len(real['files'])} files)", real["total"]))
    causes: dict[str, int] = {}
    for name, agreements in sections:
        for peer in ("backtesting", "vectorbt", "scan"):
            a = agreements[peer]
            table.add_row(
                name, peer, f"{a['compared']:,}", f"{a['same_result']:,}",
                f"{a['same_exit_candle']:,}", f"{a['same_exit_price']:,}", f"{a['all_three']:,}",
            )  # fmt: skip
            for cause, count in a["disagreements"].items():
                causes[f"{peer}: {cause}"] = causes.get(f"{peer}: {cause}", 0) + count
    console.print(table)
    if "skipped" in real:
        console.print(f"[yellow]real series skipped:[/] {real['skipped']}")
    for cause, count in sorted(causes.items()):
        console.print(f"  {count:,} × {cause}", highlight=False)
    for name, row in results["scan"]["rows"].items():
        check = row["agreement_with_sigtrack"]
        console.print(
            f"  scan vs sigtrack {name}: all fields {check['all_fields']:,}/{check['compared']:,}, "
            f"MFE/MAE {check['same_mfe_mae']:,}",
            highlight=False,
        )


# --- main --------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    return base_machine_info() | {
        "numpy": np.__version__,
        **{name: installed(name) for name in PEER_PACKAGES},
        "pandas": installed("pandas"),
        "threads": ONE_THREAD,
    }


PEER_PACKAGES = ("backtesting", "vectorbt", "numba")  # the `bench` extra


def installed(package: str) -> str | None:
    """The package's version, None when it is not installed."""
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def snapshot_src(commit: str, folder: Path) -> tuple[str, str]:
    """src/ as of `commit`, unpacked under `folder`: (the path for PYTHONPATH, the commit)."""
    rev = subprocess.run(
        ["git", "rev-parse", "--short", commit], cwd=BENCH_DIR, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "src"], cwd=BENCH_DIR.parent, capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    target = folder / "snapshot"
    target.mkdir()
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    console.print(f"measuring src/ of commit {rev} (snapshot in {target})", highlight=False)
    return str(target / "src"), rev


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small N: a smoke run of 1–2 min")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--peer-seconds", type=float, help="time bound per peer for the ≈200-hold row"
    )
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/…)")
    parser.add_argument(
        "--commit",
        help="measure src/ as of this commit (a git archive in the temp dir), not the working "
        "tree: for runs while src/ is being edited",
    )
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="sigtrack's own rows only (both orders), without the compiled scan, the peers and "
        "the real series: about 6 min instead of 13",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    p = QUICK if args.quick else FULL
    if args.peer_seconds is not None:
        p = replace(p, peer_seconds=(args.peer_seconds, *p.peer_seconds[1:]))
    now = datetime.now(UTC)
    machine = machine_info()
    missing = [name for name in PEER_PACKAGES if machine[name] is None]
    if missing and not args.engine_only:
        console.print(
            f"[red]{', '.join(missing)} not installed:[/] install the bench extra "
            "(pip install -e '.[bench]') or measure sigtrack alone with --engine-only"
        )
        return 2
    machine["speed_reference_us_start"] = speed_reference_us()
    load = ", ".join(f"{x:.2f}" for x in machine["load_average_start"])
    console.print(
        f"machine: {machine['cpu']}, {machine['cores']} cores, load average {load}, speed "
        f"reference {machine['speed_reference_us_start']:.1f} µs; sigtrack "
        f"{machine['source_start']}; one thread per library",
        highlight=False,
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sigtrack-settle-") as folder:
        src, rev = snapshot_src(args.commit, Path(folder)) if args.commit else (None, None)
        if rev:
            machine["source_start"] = machine["source_end"] = f"{rev} (snapshot of src/)"
        results = run_all(p, args.seed, Path(folder), src, engine_only=args.engine_only)
    machine["load_average_end"] = os.getloadavg()
    machine["speed_reference_us_end"] = speed_reference_us()
    if not args.commit:
        machine["source_end"] = source_version()
    print_tables(p, results)
    path = args.out or BENCH_DIR / "results" / (
        f"settle-{now:%Y-%m-%d}{'-quick' if args.quick else ''}"
        f"{'-engine' if args.engine_only else ''}.json"
    )
    document = {
        "date": now.isoformat(timespec="seconds"),
        "quick": args.quick,
        "engine_only": args.engine_only,
        "seed": args.seed,
        "params": asdict(p),
        "machine": machine,
        "scenarios": {name: asdict(s) for name, s in SCENARIOS.items()},
        "target_rate_per_s": TARGET_RATE,
        "issue_scale": ISSUE_SCALE,
        "results": results,
        "run_seconds": round(time.perf_counter() - started, 1),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=_json_default) + "\n", encoding="utf-8")
    console.print(f"results written to {path} ({document['run_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
