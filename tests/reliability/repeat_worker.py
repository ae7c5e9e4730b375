"""A worker process for the repeated-id race: it tracks the same caller-supplied signal ids
as its siblings, at the same moment, and prints one line per call.

    python repeat_worker.py URL DATA_DIR K COUNT CONTENT GO_FILE

Ids `ext-0000 …` go in chunks of 4: an even chunk one `track` per id, an odd chunk one
`track_many`, its order turned by K (siblings insert the same rows in other orders).
CONTENT `same`: every process sends the same signal for an id; `own`: process K's entries
are K ticks apart from its siblings'. It writes `ready`, waits for GO_FILE, then prints

    OK id,id… id,id…        the ids sent, the ids returned
    ERR id,id… Type: text   the ids sent, the error (nothing of the call is stored)

and at the end one JSON line: {"backlog": ops journaled instead of stored}."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sigtrack import SigtrackError, Tracker
from sigtrack.config import load_settings

CHUNK = 4
BASE = datetime(2026, 1, 1, tzinfo=UTC)
START_DEADLINE_S = 120.0


def signal_id(n: int) -> str:
    return f"ext-{n:04d}"


def entry_of(n: int, k: int, content: str) -> float:
    """The entry process `k` sends for id `n` (a distinct price per id; per process too
    when the content is its own)."""
    return 100.0 + n / 100 + (k if content == "own" else 0)


def signal(n: int, k: int, content: str) -> dict[str, object]:
    entry = entry_of(n, k, content)
    return {"signal_id": signal_id(n), "symbol": "BTCUSDT", "side": "LONG",
            "timeframe": "15m", "entry_price": entry, "tp1": entry * 1.02,
            "tp2": entry * 1.04, "sl": entry * 0.98, "strategy": "repeat",
            "created_at": (BASE + timedelta(minutes=n)).isoformat()}  # fmt: skip


def calls(count: int, k: int) -> list[list[int]]:
    """The ids of each call process `k` makes, in its order: one id (a `track`) or a
    turned chunk (a `track_many`)."""
    out: list[list[int]] = []
    for first in range(0, count, CHUNK):
        ids = list(range(first, min(first + CHUNK, count)))
        if (first // CHUNK) % 2 == 0:
            out += [[n] for n in ids]
        else:
            turn = k % len(ids)
            out.append(ids[turn:] + ids[:turn])
    return out


def say(line: str) -> None:
    print(line, flush=True)


def wait_for(go: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"no start signal at {go} within {START_DEADLINE_S} s")
        time.sleep(0.005)  # the siblings are still starting: poll for the start file


def main(url: str, data_dir: str, k: int, count: int, content: str, go: Path) -> None:
    settings = load_settings(env={}, config_file=None, database_url=url,
                             data_dir=Path(data_dir))  # fmt: skip
    with Tracker.open(settings=settings) as tracker:
        say("ready")
        wait_for(go)
        for ids in calls(count, k):
            sent = ",".join(signal_id(n) for n in ids)
            try:
                if len(ids) == 1:
                    got = [tracker.track(signal(ids[0], k, content))]
                else:
                    got = tracker.track_many([signal(n, k, content) for n in ids])
            except SigtrackError as exc:
                say(f"ERR {sent} {type(exc).__name__}: {exc}")
                continue
            say(f"OK {sent} {','.join(got)}")
        say(json.dumps({"backlog": tracker.app.journal.status().backlog}))


if __name__ == "__main__":
    url, data_dir, k, count, content, go = sys.argv[1:]
    main(url, data_dir, int(k), int(count), content, Path(go))
