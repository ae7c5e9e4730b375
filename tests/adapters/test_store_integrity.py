"""Concurrency, crashes, migrations and time columns: the store stays consistent."""

from __future__ import annotations

import os
import signal as os_signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from factories import bot_signal, settings_for
from sigtrack import InvalidInput, Tracker
from sigtrack.adapters.storage import SqlSignalStore
from sigtrack.adapters.storage.engine import (
    HEAD_REVISION,
    create_store_engine,
    current_revision,
    head_revision,
)
from sigtrack.adapters.storage.engine import migrate as run_migrations
from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.tables import activity, metadata
from sigtrack.adapters.storage.types import UtcDateTime
from sigtrack.core.errors import StorageError

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def test_concurrent_workers_never_lose_or_duplicate_a_signal(db_url: str) -> None:
    Tracker.open(settings=settings_for(db_url)).dispose()  # schema first, as `sigtrack init`
    workers, per_worker = 6, 25
    at = NOW - timedelta(minutes=1)
    ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def work() -> None:
        with Tracker.open(settings=settings_for(db_url)) as tracker:
            start.wait()
            for _ in range(per_worker):
                try:
                    signal_id = tracker.track(bot_signal(), receivers=[9], created_at=at, now=NOW)
                except BaseException as exc:  # collected and reported below
                    errors.append(exc)
                    return
                with lock:
                    ids.append(signal_id)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ids) == len(set(ids)) == workers * per_worker
    with Tracker.open(settings=settings_for(db_url)) as tracker:
        stored = tracker.list()
        assert sorted(r.signal_id for r in stored) == sorted(ids)
        assert all(len(tracker.events(i)) == 1 for i in ids[:20])


def test_concurrent_first_opens_migrate_once_and_all_succeed(db_url: str) -> None:
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            Tracker.open(settings=settings_for(db_url)).dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = create_store_engine(db_url)
    assert current_revision(engine) == head_revision() == HEAD_REVISION
    assert run_migrations(engine) is False  # nothing left to apply
    engine.dispose()


def test_a_store_made_by_a_newer_sigtrack_is_refused_unchanged_naming_its_revision(
    db_url: str,
) -> None:
    engine = create_store_engine(db_url)
    run_migrations(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(StorageError, match=r"revision '0999', which this sigtrack does not kn"):
        run_migrations(engine)
    assert current_revision(engine) == "0999"
    engine.dispose()


def test_the_migrations_build_exactly_the_schema_the_code_uses(db_url: str) -> None:
    engine = create_store_engine(db_url)
    run_migrations(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_time_columns_refuse_naive_values_and_return_aware_utc(db_url: str) -> None:
    engine = create_store_engine(db_url)
    table = Table(
        "times", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime)
    )
    table.create(engine)
    jakarta = timezone(timedelta(hours=7))
    with engine.begin() as conn:
        conn.execute(insert(table), {"id": 1, "at": datetime(2026, 1, 5, 7, 0, tzinfo=jakarta)})
        with pytest.raises(StatementError, match="aware"):
            conn.execute(insert(table), {"id": 2, "at": datetime(2026, 1, 5, 7, 0)})
    with engine.connect() as conn:
        stored = conn.execute(select(table.c.at)).scalar_one()
    engine.dispose()
    assert stored == datetime(2026, 1, 5, 0, 0, tzinfo=UTC) and stored.tzinfo is UTC


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from sigtrack import Tracker
    from factories import bot_signal, settings_for

    tracker = Tracker.open(settings=settings_for(sys.argv[1]))
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        tracker.track(bot_signal(), receivers=list(range(1, 40)), strategy=f"s{n % 7}")
        print(n, flush=True)  # tracked: the test kills the writer after enough of these
    """
)


def test_a_crash_in_the_middle_of_writing_leaves_the_store_consistent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    tests_dir = str(Path(__file__).resolve().parents[1])
    env = os.environ | {"PYTHONPATH": tests_dir}
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    tracked = 0
    while tracked < 20:  # killed while it writes the next ones, however fast this machine is
        tracked = int(process.stdout.readline())
    process.send_signal(os_signal.SIGKILL)
    process.wait()
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        n_signals = conn.execute(text("SELECT count(*) FROM signals")).scalar_one()
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM signals s WHERE "
                "(SELECT count(*) FROM signal_events e WHERE e.signal_pk = s.id) != 1 OR "
                "(SELECT count(*) FROM deliveries d WHERE d.signal_pk = s.id) != 39"
            )
        ).scalar_one()
    engine.dispose()
    assert n_signals >= tracked
    assert orphans == 0


@pytest.mark.postgres
def test_plain_postgres_urls_use_the_bundled_psycopg_driver(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+psycopg://", "postgres://", 1)
    with Tracker.open(settings=settings_for(plain)) as tracker:
        assert tracker.winrate(7, now=NOW).total == 0
        assert tracker._app.store.engine.dialect.driver == "psycopg"


@pytest.mark.parametrize("url", ["mysql://root@127.0.0.1/test", "not a url"])
def test_unsupported_database_urls_are_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(InvalidInput, match="database_url"):
        Tracker.open(settings=settings_for(url))


def test_the_fast_and_the_bulk_write_paths_store_identical_rows(tmp_path: Path) -> None:
    """`track` writes through the raw hot path, `track_many` and closing through others."""
    url = f"sqlite:///{tmp_path / 'paths.db'}"
    at = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
    with Tracker.open(settings=settings_for(url)) as tracker:
        one = tracker.track(bot_signal(), receivers=[5, 6], created_at=at, now=NOW)
        many = tracker.track_many(
            [bot_signal(created_at=at.isoformat(), receivers=[7, 8])] * 2, now=NOW
        )
        tracker.close(one, result="win", pnl_pct=1.5, actor="t", now=NOW)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT signal_id, created_at, recorded_at, targets, reasons, closed_at "
                 "FROM signals ORDER BY id")
        ).all()  # fmt: skip
        events = conn.execute(text("SELECT at, data FROM signal_events ORDER BY id")).all()
    engine.dispose()
    assert [r[0] for r in rows] == [one, *many]
    assert {r[1] for r in rows} == {"2026-11-16 17:00:00.000000"}
    assert {r[2] for r in rows} == {"2026-11-23 05:00:00.000000"}
    assert {r[3] for r in rows} == {"[51000.0, 52000.0]"}
    assert rows[0][5] == "2026-11-23 05:00:00.000000"
    assert {e[0] for e in events} == {"2026-11-23 05:00:00.000000"}


def test_sqlite_checkpoints_on_a_background_thread_not_inside_writes(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    run_migrations(engine)
    store = SqlSignalStore(engine, checkpoint_interval_s=0.05)
    checkpointer = store._checkpointer
    assert checkpointer is not None
    modes: list[str] = []
    passive = threading.Event()
    real_checkpoint = checkpointer.checkpoint

    def spy(mode: str) -> None:
        modes.append(mode)
        real_checkpoint(mode)
        if mode == "PASSIVE":
            passive.set()

    checkpointer.checkpoint = spy  # type: ignore[method-assign]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE filler (x BLOB)")
        conn.exec_driver_sql("INSERT INTO filler VALUES (zeroblob(200000))")
    assert passive.wait(timeout=60)  # a guard against a hang: the thread checks every 0.05 s
    store.dispose()
    assert "PASSIVE" in modes and modes[-1] == "TRUNCATE"
    wal = tmp_path / "wal.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_driver_error_on_the_raw_path_is_raised_as_sqlalchemy_raises_it(tmp_path: Path) -> None:
    """The hot path runs sqlite3 directly; its errors still reach the store as SQLAlchemy's
    (IntegrityError is retried, OperationalError becomes "database unavailable")."""
    engine = create_engine(f"sqlite:///{tmp_path / 'raw.db'}")
    metadata.create_all(engine)
    raw = RawSql(engine.dialect)
    row = {"at": datetime(2026, 1, 1, tzinfo=UTC), "user_id": 1, "command": "/x",
           "dedupe_key": "k"}  # fmt: skip
    with engine.begin() as conn:
        raw.executemany(conn, "insert_activity", lambda: insert(activity), [row])
        with pytest.raises(IntegrityError, match="UNIQUE"):
            raw.executemany(conn, "insert_activity", lambda: insert(activity), [row])
        with pytest.raises(OperationalError, match="no such table"):
            raw.execute(conn, "missing", lambda: text("SELECT * FROM nowhere"), {})
    engine.dispose()
