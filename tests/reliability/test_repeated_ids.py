"""Real processes tracking the same caller-supplied signal ids at the same moment, on
SQLite and on PostgreSQL: the same content is stored once and every process gets the id
back; other content under a taken id is refused by name, whole, and nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from reliability_support import check_store, open_tracker, worker_env
from repeat_worker import calls, entry_of, signal_id
from repeat_worker import signal as sent_signal
from sqlalchemy import create_engine, text

from sigtrack.adapters.storage.adding import SignalAdder
from sigtrack.adapters.storage.raw import RawSql
from sigtrack.services.ports import NewSignal

WORKER = Path(__file__).with_name("repeat_worker.py")
COUNT = 240  # ids: 120 single tracks and 30 batches of 4 per process
START_DEADLINE_S = 120.0
NOW = datetime(2026, 1, 9, tzinfo=UTC)


def signal(n: int) -> dict[str, object]:
    """Id `n`'s signal, as every worker sends it when the content is the same."""
    return sent_signal(n, 0, "same")


@dataclass(slots=True)
class Calls:
    """What one worker printed: the calls that stored (sent ids -> returned ids) and the
    refused ones (sent ids -> error)."""

    ok: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    refused: dict[tuple[str, ...], str] = field(default_factory=dict)
    backlog: int | None = None

    @classmethod
    def read(cls, out: str) -> Calls:
        seen = cls()
        for line in out.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "OK":
                sent, got = rest.split(" ")
                seen.ok[tuple(sent.split(","))] = got.split(",")
            elif kind == "ERR":
                sent, error = rest.split(" ", 1)
                seen.refused[tuple(sent.split(","))] = error
            elif kind.startswith("{"):
                seen.backlog = json.loads(line)["backlog"]
        return seen


def race(url: str, folder: Path, *, processes: int, content: str) -> list[Calls]:
    """`processes` workers, started together, each sending every id once."""
    open_tracker(url, folder).dispose()  # the schema first, as `sigtrack init`
    go = folder / "go"
    outs = [folder / f"worker-{k}.out" for k in range(processes)]
    logs = [folder / f"worker-{k}.log" for k in range(processes)]
    workers = []
    for k in range(processes):  # files, not pipes: a pipe read last could fill and block
        with outs[k].open("w") as out_to, logs[k].open("w") as errors_to:
            workers.append(subprocess.Popen(
                [sys.executable, str(WORKER), url, str(folder), str(k), str(COUNT), content,
                 str(go)], stdout=out_to, stderr=errors_to, env=worker_env(), cwd=folder,
            ))  # fmt: skip
    deadline = time.monotonic() + START_DEADLINE_S
    while not all(o.read_text().startswith("ready") for o in outs):
        assert time.monotonic() < deadline, [log.read_text()[-500:] for log in logs]
        assert all(w.poll() is None for w in workers), [log.read_text()[-500:] for log in logs]
        time.sleep(0.01)  # the workers are still importing: poll their first line
    go.touch()  # all at once
    for k, worker in enumerate(workers):
        assert worker.wait(timeout=600) == 0, logs[k].read_text()[-2000:]
    return [Calls.read(o.read_text()) for o in outs]


def stored(url: str) -> tuple[dict[str, float], dict[str, int]]:
    """signal_id -> entry of every stored signal, and event kind -> count."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT signal_id, entry FROM signals")).all()
            kinds = conn.execute(text("SELECT kind, count(*) FROM signal_events GROUP BY kind"))
            return {r[0]: float(r[1]) for r in rows}, {str(k): int(n) for k, n in kinds}
    finally:
        engine.dispose()


def test_four_processes_tracking_the_same_ids_at_once_store_each_once_and_all_get_it_back(
    db_url: str, tmp_path: Path
) -> None:
    runs = race(db_url, tmp_path, processes=4, content="same")

    every_id = [signal_id(n) for n in range(COUNT)]
    for k, seen in enumerate(runs):
        assert seen.refused == {}, (k, list(seen.refused.items())[:3])
        assert seen.backlog == 0, (k, "calls were journaled, not stored")
        assert len(seen.ok) == len(calls(COUNT, k))
        assert all(list(sent) == got for sent, got in seen.ok.items()), k
        assert sorted(i for sent in seen.ok for i in sent) == every_id
    entries, events = stored(db_url)
    assert entries == {signal_id(n): entry_of(n, 0, "same") for n in range(COUNT)}
    assert events == {"created": COUNT}
    assert check_store(db_url) == []


def test_two_processes_sending_one_id_with_different_content_one_wins_the_other_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    runs = race(db_url, tmp_path, processes=2, content="own")

    entries, events = stored(db_url)
    assert sorted(entries) == [signal_id(n) for n in range(COUNT)]
    assert events == {"created": COUNT}
    assert check_store(db_url) == []
    for seen in runs:
        assert seen.backlog == 0, "calls were journaled, not stored"
    for ids in calls(COUNT, 0):
        sent = tuple(signal_id(n) for n in ids)
        turned = [tuple(signal_id(n) for n in c) for c in calls(COUNT, 1) if set(c) == set(ids)]
        (other,) = turned
        won = [k for k, s in enumerate(runs) if (sent, other)[k] in s.ok]
        lost = [k for k, s in enumerate(runs) if (sent, other)[k] in s.refused]
        assert len(won) == 1 and len(lost) == 1, (sent, won, lost)
        winner, loser = won[0], lost[0]
        # the whole call of the winner is stored, with its content: nothing of the loser's
        assert {i: entries[i] for i in sent} == {
            signal_id(n): entry_of(n, winner, "own") for n in ids
        }
        error = runs[loser].refused[(sent, other)[loser]]
        assert error.startswith("SignalIdConflict: signal_id: 'ext-"), error
        named = error.split("'")[1]
        assert named in sent and "already tracked with different content" in error, error
        assert "entry: " in error, error


def waiting_on_locks(url: str) -> int:
    """Backends of the test database waiting for a lock (a row's or an advisory one)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND state = 'active' AND wait_event_type = 'Lock'")  # fmt: skip
            return int(conn.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def wait_until(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)  # a backend is still on its way to the lock: poll pg_stat_activity


@pytest.mark.postgres
def test_two_batches_of_the_same_ids_in_other_orders_do_not_deadlock_into_the_journal(
    pg_url: str, tmp_path: Path
) -> None:
    """Regression: on PostgreSQL each batch inserted its rows in its own order, so two
    writers could each hold an id the other was inserting; the deadlock was taken for
    "database unavailable" and the batch went to the journal of a store that was up.
    A third writer holds one id of the first batch, so that both batches stop mid-insert.
    (SQLite takes the write lock at BEGIN: its writers never hold rows across each other.)"""
    batches = {"first": [signal(2), signal(8), signal(1)], "second": [signal(1), signal(2)]}
    with ExitStack() as opened:
        trackers = {name: opened.enter_context(open_tracker(pg_url, tmp_path / name))
                    for name in ("holder", *batches)}  # fmt: skip
        holder = trackers["holder"].app.store.engine.connect()
        opened.callback(holder.close)
        stalled = holder.begin()
        SignalAdder(holder, RawSql(holder.dialect), NOW, "raise").run(
            [NewSignal(signal=trackers["holder"].validate_many([signal(8)], now=NOW)[0],
                       actor="holder")]
        )  # fmt: skip
        with ThreadPoolExecutor(max_workers=2) as pool:
            try:
                first = pool.submit(trackers["first"].track_many, batches["first"], now=NOW)
                wait_until(lambda: waiting_on_locks(pg_url) >= 1, "the first batch to wait")
                second = pool.submit(trackers["second"].track_many, batches["second"], now=NOW)
                wait_until(lambda: second.done() or waiting_on_locks(pg_url) >= 2,
                           "the second batch to wait or finish")  # fmt: skip
            finally:
                stalled.rollback()  # the holder gives up: the two batches meet
            got = {"first": first.result(timeout=60), "second": second.result(timeout=60)}
        assert got == {"first": ["ext-0002", "ext-0008", "ext-0001"],
                       "second": ["ext-0001", "ext-0002"]}  # fmt: skip
        for name in batches:
            assert trackers[name].app.journal.status().backlog == 0, (
                f"the {name} batch was journaled"
            )
    entries, events = stored(pg_url)
    assert sorted(entries) == ["ext-0001", "ext-0002", "ext-0008"]
    assert events == {"created": 3}
    assert check_store(pg_url) == []
