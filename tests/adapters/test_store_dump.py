"""The portable dump: SQLite and PostgreSQL dump to the same digests, restore into each
other, a live SQLite store is snapshotted consistently, another schema is refused."""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from factories import bot_signal, settings_for
from sigtrack import Tracker
from sigtrack.adapters.storage import create_store_engine, migrate, sqlite_url_for
from sigtrack.adapters.storage.dump import SNAPSHOT_NAME, StoreDump, table_file
from sigtrack.adapters.storage.tables import metadata
from sigtrack.core.bot_records import FeedbackAnswer, PassRecord
from sigtrack.core.errors import BackupError
from sigtrack.core.jobs import RunState

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def fill(tracker: Tracker) -> list[str]:
    """A store with something in most tables: wins, losses, a cancel, receivers,
    activity, feedback, a settling pass, a job run, rollups; text with non-ASCII."""
    ids = []
    for n, (symbol, hours) in enumerate([("BTCUSDT", 30), ("ETHUSDT", 20), ("SOLUSDT", 10),
                                          ("BTCUSDT", 5), ("XRPUSDT", 2)]):  # fmt: skip
        created = NOW - timedelta(hours=hours, microseconds=123 * n)
        reasons = ["Near demand zone", f"Dip: -{n}.5% — überkauft 買い"]
        ids.append(tracker.track(bot_signal(symbol=symbol, reasons=reasons),
                                 receivers=[7, 8 + n], created_at=created, now=NOW))  # fmt: skip
    tracker.close(ids[0], result="win", pnl_pct=2.5, actor="admin", note="tp ✓", now=NOW)
    tracker.close(ids[1], result="loss", pnl_pct=-1.25, actor="admin", now=NOW)
    tracker.cancel(ids[2], actor="admin", now=NOW)
    tracker.track_command(7, "ana", "/winrate", "BTCUSDT", "15m", now=NOW)
    tracker.track_command(8, None, "/stats", now=NOW)
    store = tracker.app.store
    store.save_feedback(ids[3], 7, FeedbackAnswer.TOOK, now=NOW)
    store.record_pass(PassRecord(at=NOW, source="files /tmp/c", checked=3, symbols=2, closed=1,
                                 tp_hits=1, wins=1, losses=0, expired=0, failures=0,
                                 elapsed_s=0.25))  # fmt: skip
    store.register_job("backup", now=NOW)
    store.claim_slot("backup", NOW, now=NOW, max_attempts=3, lease_s=60)
    store.finish_slot("backup", NOW, state=RunState.DONE, now=NOW, detail={"where": ["a"]},
                      duration_s=1.5)  # fmt: skip
    tracker.rebuild_rollups()
    return ids


@pytest.fixture
def filled(db_url: str) -> Iterator[Tracker]:
    with Tracker.open(settings=settings_for(db_url)) as tracker:
        fill(tracker)
        yield tracker


def sqlite_tracker_at(path: Path) -> Tracker:
    return Tracker.open(settings=settings_for(sqlite_url_for(path)))


def numbers(tracker: Tracker) -> tuple[object, ...]:
    """What the user sees: the winrates and a breakdown."""
    week = tracker.winrate(7, now=NOW)
    by_symbol = tracker.stats("symbol", days=30, now=NOW)
    return (week, by_symbol.rows, tracker.stats("tag", days=30, now=NOW).rows)


def test_a_dump_writes_every_table_as_canonical_sorted_json_lines(
    filled: Tracker, tmp_path: Path
) -> None:
    dumper = StoreDump(filled.app.store.engine)
    summary = dumper.dump(tmp_path / "d")
    assert set(summary.tables) == set(metadata.tables)
    assert summary.schema_revision == dumper.schema_revision()
    assert (tmp_path / "d" / SNAPSHOT_NAME).is_file() == (dumper.backend == "sqlite")
    with gzip.open(tmp_path / "d" / table_file("signals"), "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows) and len(rows) == 5
    assert list(rows[0]) == sorted(rows[0])
    assert rows[0]["created_at"].endswith("Z") and rows[0]["targets"] == [51000.0, 52000.0]
    assert summary.tables["signals"].rows == 5 and summary.tables["activity"].rows == 2
    assert summary.tables == dumper.digests()


def test_the_same_dump_gives_the_same_bytes(filled: Tracker, tmp_path: Path) -> None:
    dumper = StoreDump(filled.app.store.engine)
    dumper.dump(tmp_path / "a")
    dumper.dump(tmp_path / "b")
    for table in metadata.tables:
        first = (tmp_path / "a" / table_file(table)).read_bytes()
        assert first == (tmp_path / "b" / table_file(table)).read_bytes()


def test_a_dump_restores_into_sqlite_with_equal_digests_and_numbers(
    filled: Tracker, tmp_path: Path
) -> None:
    """From either backend (PostgreSQL → SQLite included) into an empty SQLite store."""
    source = StoreDump(filled.app.store.engine)
    summary = source.dump(tmp_path / "d")
    with sqlite_tracker_at(tmp_path / "copy.db") as copy:
        restored = StoreDump(copy.app.store.engine)
        loaded = restored.restore(
            tmp_path / "d", schema_revision=summary.schema_revision, expected=summary.tables
        )
        assert loaded == summary.tables == restored.digests()
        assert restored.integrity() == ["ok"]
        assert numbers(copy) == numbers(filled)
        ids = [str(r.signal.signal_id) for r in filled.list()]
        assert [str(r.signal.signal_id) for r in copy.list()] == ids
        assert copy.events(ids[0]) == filled.events(ids[0])


@pytest.mark.postgres
def test_a_sqlite_dump_restores_into_postgresql_and_its_ids_go_on_from_there(
    tmp_path: Path, pg_url: str
) -> None:
    with sqlite_tracker_at(tmp_path / "src.db") as source:
        fill(source)
        summary = StoreDump(source.app.store.engine).dump(tmp_path / "d")
        with Tracker.open(settings=settings_for(pg_url)) as target:
            dumper = StoreDump(target.app.store.engine)
            dumper.restore(tmp_path / "d", schema_revision=summary.schema_revision,
                           expected=summary.tables)  # fmt: skip
            assert dumper.digests() == summary.tables
            assert numbers(target) == numbers(source)
            # the sequences were moved past the restored ids: new rows do not collide
            new = target.track(bot_signal(symbol="ADAUSDT"), receivers=[9], now=NOW)
            assert target.get(new).signal.symbol == "ADAUSDT"
            assert len(target.list()) == 6


def test_a_restore_replaces_what_the_store_held_in_one_transaction(
    filled: Tracker, tmp_path: Path
) -> None:
    dumper = StoreDump(filled.app.store.engine)
    summary = dumper.dump(tmp_path / "d")
    filled.track(bot_signal(symbol="DOGEUSDT"), receivers=[1], now=NOW)
    dumper.restore(tmp_path / "d", schema_revision=summary.schema_revision,
                   expected=summary.tables)  # fmt: skip
    assert dumper.digests() == summary.tables


def test_a_restore_that_would_not_match_the_manifest_changes_nothing(
    filled: Tracker, tmp_path: Path
) -> None:
    dumper = StoreDump(filled.app.store.engine)
    summary = dumper.dump(tmp_path / "d")
    before = dumper.digests()
    wrong = dict(summary.tables)
    wrong["signals"] = type(wrong["signals"])(rows=4, sha256="0" * 64)
    with pytest.raises(BackupError, match="table signals: must hold 4 row"):
        dumper.restore(tmp_path / "d", schema_revision=summary.schema_revision, expected=wrong)
    assert dumper.digests() == before


def test_a_backup_of_another_schema_revision_is_refused_naming_both(
    filled: Tracker, tmp_path: Path
) -> None:
    dumper = StoreDump(filled.app.store.engine)
    summary = dumper.dump(tmp_path / "d")
    before = dumper.digests()
    with pytest.raises(
        BackupError, match=rf"revision 0001 but the store is at {summary.schema_revision}"
    ):
        dumper.restore(tmp_path / "d", schema_revision="0001", expected=summary.tables)
    assert dumper.digests() == before


def test_a_live_sqlite_store_written_during_the_snapshot_dumps_one_consistent_moment(
    tmp_path: Path,
) -> None:
    url = sqlite_url_for(tmp_path / "live.db")
    stop, written = threading.Event(), threading.Semaphore(0)
    with Tracker.open(settings=settings_for(url)) as tracker:
        fill(tracker)

        def write() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                tracker.track(bot_signal(symbol=f"C{n}USDT"), receivers=[1, 2, 3], now=NOW)
                written.release()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            for _ in range(20):  # the writer is running before the snapshot starts
                assert written.acquire(timeout=10)
            summary = StoreDump(tracker.app.store.engine).dump(tmp_path / "d")
            for _ in range(20):  # and still running after it
                assert written.acquire(timeout=10)
        finally:
            stop.set()
            writer.join(timeout=10)
        assert not writer.is_alive()
    snapshot = tmp_path / "d" / SNAPSHOT_NAME
    with sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        signals_n = conn.execute("SELECT count(*) FROM signals").fetchone()[0]
        # every signal with its created event and its receivers: no half-written signal
        orphans = conn.execute(
            "SELECT count(*) FROM signals s WHERE NOT EXISTS "
            "(SELECT 1 FROM signal_events e WHERE e.signal_pk = s.id) OR NOT EXISTS "
            "(SELECT 1 FROM deliveries d WHERE d.signal_pk = s.id)"
        ).fetchone()[0]
    assert orphans == 0 and 5 + 20 <= signals_n == summary.tables["signals"].rows
    engine = create_engine(f"sqlite:///file:{snapshot}?mode=ro&uri=true")
    try:
        assert StoreDump(engine).digests() == summary.tables
    finally:
        engine.dispose()


def test_a_store_without_a_schema_is_not_dumped(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url_for(tmp_path / "empty.db"))
    try:
        with pytest.raises(BackupError, match="no schema revision"):
            StoreDump(engine).dump(tmp_path / "d")
    finally:
        engine.dispose()


def test_restoring_into_a_fresh_migrated_store_keeps_json_nulls_as_sql_nulls(
    filled: Tracker, tmp_path: Path
) -> None:
    """An unsettled signal's `outcome` is SQL NULL before and after."""
    dumper = StoreDump(filled.app.store.engine)
    summary = dumper.dump(tmp_path / "d")
    engine = create_store_engine(sqlite_url_for(tmp_path / "copy.db"))
    try:
        migrate(engine)
        StoreDump(engine).restore(tmp_path / "d", schema_revision=summary.schema_revision,
                                  expected=summary.tables)  # fmt: skip
        with engine.connect() as conn:
            nulls = conn.execute(text("SELECT count(*) FROM signals WHERE outcome IS NULL"))
            assert nulls.scalar_one() == 5
    finally:
        engine.dispose()
