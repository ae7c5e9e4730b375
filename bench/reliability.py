"""Crash safety and concurrency at full size, and bench/RELIABILITY.md (issue 13).

    .venv/bin/python bench/reliability.py [--quick] [--pg-url URL] [--seed N] [--out PATH]

On SQLite (a scratch file) and PostgreSQL (a scratch database created on --pg-url's
server and dropped afterwards) it runs, through the code the tests run at short sizes
(tests/reliability/reliability_support.py):

- 20 rounds of kill -9 at seeded random moments while a worker tracks, batches and closes;
  after each, every acknowledged id and close stored, `check_store` empty;
- 4 processes × 5,000 tracks and closes racing each other's closes: exactly 20,000
  signals, each closed once;
- PostgreSQL stopped (the proxy of tests/pg_proxy.py) while a child tracks 1,000 signals
  through compat (700 while down), then `sigtrack journal replay`;
- `pytest -q tests/hostile`, the monitors' scale-out e2e tests and the repeated caller ids
  across processes, when present, counted
  from pytest's output.

`--quick`: 5 rounds, 4 × 500, the journal at 100 + 200. Writes the table to --out.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "reliability")]

from reliability_support import Run, kill_rounds, postgres_stopped, race  # noqa: E402

from scratch_db import scratch_database  # noqa: E402  (bench/, beside this script)

PG_ADMIN = os.environ.get(
    "SIGTRACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SCALE_OUT_TESTS = ["tests/e2e/test_monitors_share.py"]
REPEATED_ID_TESTS = ["tests/reliability/test_repeated_ids.py"]


def store_runs(url: str, folder: Path, *, rounds: int, per_process: int, seed: int) -> list[Run]:
    (folder / "kill").mkdir(parents=True)
    (folder / "race").mkdir()
    runs = [kill_rounds(url, folder / "kill", rounds=rounds, seed=seed)]
    print(row(runs[-1]), flush=True)
    if url.startswith("sqlite"):
        url = f"sqlite:///{folder / 'race' / 'race.db'}"  # a fresh store for the count
    runs.append(race(url, folder / "race", processes=4, per_process=per_process))
    print(row(runs[-1]), flush=True)
    return runs


def pytest_run(name: str, paths: list[str], *, hostile: bool = False) -> Run | None:
    present = [p for p in paths if (ROOT / p).exists()]
    if not present:
        return None
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *present], cwd=ROOT, capture_output=True, text=True,
                          check=False)  # fmt: skip
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|error|skipped)",
                                                     done.stdout.splitlines()[-1] if done.stdout
                                                     else "")}  # fmt: skip
    cases = sum(counts.values())
    failed = counts.get("failed", 0) + counts.get("error", 0)
    return Run(scenario=name, store="both", load=f"{cases} test cases",
               bad_inputs=cases if hostile else 0,
               problems=[f"{failed} failed"] if failed or done.returncode else [],
               seconds=time.perf_counter() - began,
               notes=", ".join(f"{n} {w}" for w, n in counts.items()))  # fmt: skip


def row(run: Run) -> str:
    cells = [run.scenario, run.store, run.load, str(run.faults), str(run.bad_inputs),
             str(run.acknowledged), str(run.present), str(run.lost), str(run.duplicated),
             str(len(run.problems)), f"{run.seconds:.1f}", "yes" if run.ok else "**no**"]  # fmt: skip  # noqa: E501
    return "| " + " | ".join(cells) + " |"


def report(runs: list[Run], command: str, began: datetime) -> str:
    head = ("| scenario | store | load (processes × operations) | faults injected | "
            "bad inputs tried | acknowledged | present | lost | duplicated | "
            "integrity problems | seconds | pass |\n" + "|---" * 12 + "|")  # fmt: skip
    notes = [f"- {r.scenario} [{r.store}]: {r.notes}" for r in runs if r.notes]
    problems = [f"- {r.scenario} [{r.store}]: {p}" for r in runs for p in r.problems[:5]]
    return "\n".join([
        "# Reliability runs (issue 13)", "",
        f"Made by `{command}` (`make reliability`) on {began:%Y-%m-%d %H:%M} UTC; machine: "
        f"{platform.node()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}.",
        "Targets: lost 0, duplicated 0, integrity problems 0. Acknowledged: ids and closes "
        "the workers printed (flushed) before any kill; present: those found in the store "
        "as acknowledged. Faults: kill -9s, store stops. Bad inputs: hostile test cases.", "",
        head, *map(row, runs), "", "## Notes", *notes, "",
        "## Problems" if problems else "", *problems, "",
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pg-url", default=PG_ADMIN)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RELIABILITY.md")
    args = parser.parse_args()
    rounds, per_process, journal = (5, 500, (100, 200)) if args.quick else (20, 5000, (300, 700))
    began = datetime.now(UTC)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="sigtrack-reliability-") as scratch:
        folder = Path(scratch)
        runs += store_runs(f"sqlite:///{folder / 'sqlite' / 'kill.db'}", folder / "sqlite",
                           rounds=rounds, per_process=per_process, seed=args.seed)  # fmt: skip
        with scratch_database(args.pg_url, prefix="sigtrack_reliability") as url:
            runs += store_runs(url, folder / "postgresql", rounds=rounds,
                               per_process=per_process, seed=args.seed)  # fmt: skip
        with scratch_database(args.pg_url, prefix="sigtrack_reliability") as url:
            (folder / "journal").mkdir()
            runs.append(postgres_stopped(url, folder / "journal", before=journal[0],
                                         during=journal[1]))  # fmt: skip
            print(row(runs[-1]), flush=True)
    for name, paths in (
        ("hostile inputs (pytest tests/hostile)", ["tests/hostile"]),
        ("monitors sharing the open signals (pytest e2e)", SCALE_OUT_TESTS),
        ("4 processes tracking the same caller ids (pytest)", REPEATED_ID_TESTS),
    ):
        found = pytest_run(name, paths, hostile=paths == ["tests/hostile"])
        if found is not None:
            runs.append(found)
            print(row(found), flush=True)
    command = "python bench/reliability.py" + (" --quick" if args.quick else "")
    args.out.write_text(report(runs, command, began), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
