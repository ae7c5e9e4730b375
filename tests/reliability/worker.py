"""A worker process for the reliability runs: it tracks and closes signals and prints one
line per acknowledged operation (flushed, so that a parent that kills it with SIGKILL knows
what was acknowledged before the kill).

    python worker.py churn URL DATA_DIR TAG START      # until killed: tracks, batches, closes
    python worker.py race URL DATA_DIR K P N FOLDER    # process K of P: N tracks and closes

Lines: `T id`, `B id id id` (one batch, one transaction), `C id RESULT` (closed),
`X id` (a close refused: already closed), `J id` (a close journaled), and at the end of a
race one JSON line of counts."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sigtrack import SignalAlreadyClosed, Tracker
from sigtrack.config import load_settings
from sigtrack.core.journal import Journaled

BATCH = 3  # signals per track_many in churn: the check finds none stored partly
LAG = 4  # own even signals wait this many to be closed, so the closes race
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def open_tracker(url: str, data_dir: str) -> Tracker:
    return Tracker.open(settings=load_settings(env={}, config_file=None, database_url=url,
                                               data_dir=Path(data_dir)))  # fmt: skip


def signal(strategy_key: str, n: int) -> dict[str, object]:
    """A distinct signal: its entry and creation time vary with n, its key sits in strategy."""
    entry = 100.0 + (n % 997) / 10
    return {"symbol": "BTCUSDT", "side": "LONG", "timeframe": "15m", "entry_price": entry,
            "tp1": entry * 1.02, "tp2": entry * 1.04, "sl": entry * 0.98,
            "strategy": strategy_key,
            "created_at": (BASE + timedelta(seconds=n)).isoformat()}  # fmt: skip


def say(line: str) -> None:
    print(line, flush=True)


def close(tracker: Tracker, signal_id: str, result: str) -> str:
    """Close once; the outcome's letter: C closed, X already closed, J journaled."""
    try:
        done = tracker.close(signal_id, result=result, pnl_pct=1.0 if result == "WIN" else -1.0,
                             actor="reliability")  # fmt: skip
    except SignalAlreadyClosed:
        say(f"X {signal_id}")
        return "X"
    if isinstance(done, Journaled):
        say(f"J {signal_id}")
        return "J"
    say(f"C {signal_id} {result}")
    return "C"


def churn(url: str, data_dir: str, tag: str, start: int) -> None:
    """Signal n is created `start + 4n` s after BASE, its batch the three seconds after."""
    tracker = open_tracker(url, data_dir)
    say("ready")
    n = 0
    while True:  # the parent kills it
        n += 1
        one = tracker.track(signal(f"{tag}-s{n}", start + 4 * n))
        say(f"T {one}")
        if n % 4 == 0:
            batch = tracker.track_many(
                signal(f"{tag}-b{n}", start + 4 * n + 1 + k) for k in range(BATCH)
            )
            say("B " + " ".join(batch))
        close(tracker, one, "WIN" if n % 2 else "LOSS")


def race(  # noqa: C901 - one loop of tracks, own closes and the neighbour's
    url: str, data_dir: str, k: int, processes: int, n: int, folder: Path
) -> None:
    """Track n signals, close the even ones (a few tracks later); close every signal
    the process before this one tracked (its ids read from
    its file as they come): the even ones race their owner."""
    tracker = open_tracker(url, data_dir)
    mine = folder / f"ids-{k}.txt"
    theirs = folder / f"ids-{(k - 1) % processes}.txt"
    counts = {"tracked": 0, "C": 0, "X": 0, "J": 0, "neighbour_closed": 0}
    read_at = 0
    pending: list[str] = []
    own: list[str] = []
    finished = False

    def drain() -> None:
        nonlocal read_at, finished
        if theirs.exists():
            with theirs.open("rb") as handle:
                handle.seek(read_at)
                chunk = handle.read()
            whole = chunk[: chunk.rfind(b"\n") + 1]  # a line being written waits
            read_at += len(whole)
            for line in whole.decode().splitlines():
                if line == "done":
                    finished = True
                else:
                    pending.append(line)
        while pending:
            counts[close(tracker, pending.pop(0), "LOSS")] += 1
            counts["neighbour_closed"] += 1

    with mine.open("a", encoding="utf-8") as out:
        for i in range(n):
            signal_id = tracker.track(signal(f"p{k}-{i}", k * n + i))
            counts["tracked"] += 1
            say(f"T {signal_id}")
            out.write(signal_id + "\n")
            out.flush()
            if i % 2 == 0:
                own.append(signal_id)
            if len(own) > LAG:  # closed a few tracks later: the neighbour may be first
                counts[close(tracker, own.pop(0), "WIN")] += 1
            drain()
        out.write("done\n")
    for signal_id in own:
        counts[close(tracker, signal_id, "WIN")] += 1
    while not finished:
        drain()
        if not finished:
            time.sleep(0.01)  # the neighbour is still tracking: poll its file
    counts["backlog"] = tracker.app.journal.status().backlog
    tracker.dispose()
    say(json.dumps(counts))


def main(argv: list[str]) -> None:
    mode, url, data_dir, *rest = argv
    if mode == "churn":
        churn(url, data_dir, rest[0], int(rest[1]))
    else:
        k, processes, n, folder = rest
        race(url, data_dir, int(k), int(processes), int(n), Path(folder))


if __name__ == "__main__":
    main(sys.argv[1:])
