"""The journal file: appends from several processes at once stay whole lines, a torn
last line is ended so that it stays apart, a replay renames the file; and a SQLite store
locked past its timeout sends writes to the journal."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from factories import settings_for
from sigtrack.adapters.journal import JournalFile
from sigtrack.bootstrap import build_app
from sigtrack.core.journal import JournalEntry, OpKind, new_op_id
from sigtrack.core.records import Activity

AT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def entry(user: int) -> JournalEntry:
    return JournalEntry(op_id=new_op_id(), kind=OpKind.ACTIVITY, at=AT, actor="t",
                        activity=(Activity(at=AT, user_id=user, username="x" * 300,
                                           command="/winrate"),))  # fmt: skip


def _append_many(folder: str, worker: int) -> None:
    journal = JournalFile(Path(folder))
    for i in range(200):
        journal.append(entry(worker * 1000 + i))


def test_appends_from_four_processes_at_once_are_all_whole_lines(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(tmp_path), w)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    contents = JournalFile(tmp_path).read()
    assert contents.bad == ()
    users = sorted(e.activity[0].user_id for e in contents.entries)
    assert users == sorted(w * 1000 + i for w in range(4) for i in range(200))


def test_a_write_after_a_torn_line_ends_it_and_the_replay_sets_it_aside(tmp_path: Path) -> None:
    journal = JournalFile(tmp_path)
    journal.append(entry(1))
    with journal.path.open("a") as f:
        f.write('{"v":1,"op_id":"cut')  # the power went mid-write
    journal.append(entry(2))
    with journal.replaying() as contents:
        assert [e.activity[0].user_id for e in contents.entries] == [1, 2]
        assert [(b.number, b.torn) for b in contents.bad] == [(2, True)]
    assert not journal.path.exists()
    assert len(list(tmp_path.glob("applied-*.jsonl"))) == 1
    (aside,) = journal.set_aside_files()
    assert aside.read_text().startswith('{"v":1,"op_id":"cut')


def test_a_replay_that_fails_leaves_the_journal_where_it_was(tmp_path: Path) -> None:
    journal = JournalFile(tmp_path)
    journal.append(entry(1))
    try:
        with journal.replaying():
            raise RuntimeError("the store went away")
    except RuntimeError:
        pass
    assert len(journal.read().entries) == 1


def test_a_sqlite_store_locked_past_its_timeout_journals_the_write(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    app = build_app(settings_for(f"sqlite:///{db}", data_dir=tmp_path,
                                 sqlite_busy_timeout_s=0.2))  # fmt: skip
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        (signal_id,) = app.tracking.record_many(
            [{"symbol": "BTCUSDT", "side": "LONG", "timeframe": "15m", "entry": 100.0,
              "tp1": 101.0, "sl": 99.0}], now=AT)  # fmt: skip
        assert app.journal.status().backlog == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    report = app.journal.replay_all()
    assert report.applied == 1
    assert app.tracking.get(signal_id).signal.symbol == "BTCUSDT"
    assert app.journal.status().store_down_since is None
    app.store.dispose()
