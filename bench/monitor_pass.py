"""One `sigtrack monitor` pass on SQLite (one monitor, nothing shared), process start to exit,
this tree beside another src/ in the same run (bench/README.md, "A monitor pass on SQLite").

    .venv/bin/python bench/monitor_pass.py --also DIR [--signals N] [--symbols S] [--repeats R]

The store and its candles are bench/scale_out.py's (N open signals over S symbols, one day,
candles that close them all); each run gets a fresh copy of the store file. Runs alternate
between the variants, `python -c pass` beside them as the plain reference; the medians and
the ratios are printed. Every run must close every signal.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scale_out import Variant, compile_bytecode, environment, fill_store, monitor_command


def one_pass(variant: Variant, store: Path, folder: Path, work: Path) -> float:
    copy = work / "run.db"
    copy.unlink(missing_ok=True)
    with sqlite3.connect(store) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the whole store, its WAL included
    source.close()
    target.close()
    env = environment(variant, work, f"sqlite:///{copy}")
    began = time.perf_counter()
    subprocess.run(monitor_command(variant, folder), env=env, cwd=work, check=True,
                   capture_output=True)  # fmt: skip
    took = time.perf_counter() - began
    with sqlite3.connect(copy) as conn:
        still_open = conn.execute("SELECT count(*) FROM signals WHERE status = 'ACTIVE'").fetchone()
    assert still_open == (0,), f"{variant.name}: {still_open[0]} signals left open"
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--also", type=Path, required=True, help="another src/ to time beside")
    parser.add_argument("--signals", type=int, default=20_000)
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    variants = [Variant("this tree", None), Variant(str(args.also), args.also)]
    with tempfile.TemporaryDirectory(prefix="sigtrack-monitor-pass-") as scratch:
        work = Path(scratch)
        store = work / "store.db"
        market = fill_store(f"sqlite:///{store}", work, signals=args.signals,
                            symbols=args.symbols, days=1, seed=2026)  # fmt: skip
        for variant in variants:
            compile_bytecode(variant, work)
            one_pass(variant, store, market.folder, work)  # warm-up, not counted
        times: dict[str, list[float]] = {v.name: [] for v in variants}
        plain: list[float] = []
        for _ in range(args.repeats):
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            plain.append(time.perf_counter() - began)
            for variant in variants:
                times[variant.name].append(one_pass(variant, store, market.folder, work))
    reference = statistics.median(plain)
    print(f"{args.signals:,} open signals over {args.symbols} symbols, {args.repeats} runs each; "
          f"python -c pass {reference * 1000:.0f} ms")  # fmt: skip
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"| {name} | {median:.2f} s ({min(runs):.2f}–{max(runs):.2f}) | "
              f"{median / reference:.0f} × python -c pass |")  # fmt: skip


if __name__ == "__main__":
    main()
