"""The bulk write path (`track_many`, imports) stores byte for byte what the one-by-one
path stores through SQLAlchemy's column types, on SQLite and on PostgreSQL."""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.dialects import sqlite

from factories import make_signal, settings_for
from sigtrack import Tracker
from sigtrack.adapters.storage.bulk import created_data_json, floats_json
from sigtrack.adapters.storage.tables import deliveries, signal_events, signals
from sigtrack.adapters.storage.types import UtcDateTime, sqlite_utc_text
from sigtrack.core.errors import InvalidBatch
from sigtrack.core.records import Closing
from sigtrack.core.signals import ExitReason, Result
from sigtrack.services.ports import AddStatus, NewSignal

NOW = datetime(2026, 11, 23, 5, 0, 0, 250_000, tzinfo=UTC)
AT = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
WIB = ZoneInfo("Asia/Jakarta")


def varied_items() -> list[NewSignal]:
    """Signals that exercise every column's encoding: times with and without microseconds
    and in other zones, texts JSON escapes, no confidence, no receivers, closed ones."""
    return [
        NewSignal(signal=make_signal(created_at=AT, receivers=(5, 6, 7, 8, 9), confidence=80,
                                     reasons=("Near demand zone", "Dip: -3.2%"),
                                     tags=("demand_zone", "dip"))),
        NewSignal(signal=make_signal(created_at=AT.replace(microsecond=123_456).astimezone(WIB),
                                     receivers=(2**62, -5), confidence=77.5)),
        NewSignal(signal=make_signal(created_at=AT, symbol="ETHUSDT", side="SHORT",
                                     entry=3000.125, targets=(2900.0,), stop=3100.0,
                                     reasons=('say "hi"', "é ünï \\ ✓"), strategy="v 2/x",
                                     source="manual", exchange="bybit", market="spot")),
        NewSignal(signal=make_signal(created_at=AT - timedelta(days=400),
                                     targets=tuple(51000.0 + i * 1000.5 for i in range(10))),
                  actor="importer"),
        NewSignal(signal=make_signal(created_at=AT.replace(microsecond=1),
                                     receivers=(42,), timeframe="4h"),
                  closing=Closing(result=Result.WIN, exit_reason=ExitReason.TP1,
                                  closed_at=AT.replace(microsecond=999_999)
                                  .astimezone(timezone(timedelta(hours=-4))),
                                  pnl_pct=2.0),
                  actor="legacy"),
        NewSignal(signal=make_signal(created_at=AT + timedelta(seconds=1)),
                  closing=Closing(result=Result.CANCELLED, exit_reason=ExitReason.MANUAL,
                                  closed_at=AT + timedelta(hours=2))),
    ]  # fmt: skip


def stored_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of the three tables as the database holds it, surrogate keys
    replaced by the signal_id they point to: SQLite's values with their storage class,
    PostgreSQL's as text (json columns keep their text there)."""
    postgres = engine.dialect.name == "postgresql"

    def as_stored(column: str) -> str:
        return f"{column}::text" if postgres else f"{column}, typeof({column})"

    def columns(table: Any, skip: set[str]) -> str:
        return ", ".join(as_stored(f"t.{c.name}") for c in table.columns if c.name not in skip)

    queries = {
        "signals": f"SELECT {columns(signals, {'id'})} FROM signals t ORDER BY t.signal_id",
        "signal_events": f"SELECT s.signal_id, {columns(signal_events, {'id', 'signal_pk'})} "
        "FROM signal_events t JOIN signals s ON s.id = t.signal_pk ORDER BY s.signal_id, t.id",
        "deliveries": f"SELECT s.signal_id, {columns(deliveries, {'signal_pk'})} "
        "FROM deliveries t JOIN signals s ON s.id = t.signal_pk "
        "ORDER BY s.signal_id, t.position",
    }
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in queries.items()}


@pytest.fixture
def two_stores(db_url: str, tmp_path: Path) -> Iterator[tuple[Tracker, Tracker]]:
    """Two empty stores on the same backend: on PostgreSQL two schemas of one database."""
    if db_url.startswith("sqlite"):
        urls = [db_url, f"sqlite:///{tmp_path / 'other.db'}"]
    else:
        admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            conn.execute(text(f'CREATE SCHEMA "{schema}_b"'))
        urls = [db_url, db_url.replace(f"search_path%3D{schema}", f"search_path%3D{schema}_b")]
    trackers = [Tracker.open(settings=settings_for(url)) for url in urls]
    try:
        yield trackers[0], trackers[1]
    finally:
        for tracker in trackers:
            tracker.dispose()
        if not db_url.startswith("sqlite"):
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}_b" CASCADE'))
            admin.dispose()


def test_a_batch_stores_the_same_rows_as_one_by_one(two_stores: tuple[Tracker, Tracker]) -> None:
    one_by_one, batch = two_stores
    items = varied_items()
    singles = [one_by_one._app.store.add_signals([item], now=NOW)[0] for item in items]
    together = batch._app.store.add_signals(items, now=NOW)
    assert together == singles
    assert {o.status for o in together} == {AddStatus.ADDED}
    expected = stored_rows(one_by_one._app.store.engine)
    assert len(expected["deliveries"]) == 5 + 2 + 1
    assert len(expected["signal_events"]) == len(items) + 2  # created, and two closings
    assert stored_rows(batch._app.store.engine) == expected


def test_track_many_of_bot_dicts_stores_what_track_stores(
    two_stores: tuple[Tracker, Tracker],
) -> None:
    one_by_one, batch = two_stores
    dicts = [
        {"symbol": "BTCUSDT", "timeframe": "15m", "side": "LONG", "confidence": 80 + i,
         "reasons": ["Near demand zone", "Dip: -3.2%"], "price": 50000.0 + i,
         "entry_price": 50000.0 + i, "tp1": 51000.0, "tp2": 52000.0 + i, "sl": 49000.0,
         "created_at": AT + timedelta(minutes=i, microseconds=i * 7),
         "receivers": [1000 + i, 2000, 3000 + i]}
        for i in range(5)
    ]  # fmt: skip
    singles = [one_by_one.track(d, now=NOW) for d in dicts]
    assert batch.track_many(dicts, now=NOW) == singles
    assert stored_rows(batch._app.store.engine) == stored_rows(one_by_one._app.store.engine)


def test_a_batch_numbers_its_rows_after_the_stored_ones_and_keeps_children_with_them(
    tracker: Tracker,
) -> None:
    first = tracker.track(make_signal(created_at=AT), receivers=[1, 2], now=NOW)
    batch = tracker.track_many(
        [make_signal(created_at=AT, receivers=(1, 3)), make_signal(created_at=AT + timedelta(1))],
        now=NOW,
    )
    assert batch[0] == f"{first}_2"
    assert [tracker.get(i).signal.receivers for i in (first, *batch)] == [(1, 2), (1, 3), ()]
    assert [len(tracker.events(i)) for i in (first, *batch)] == [1, 1, 1]
    with tracker._app.store.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM signals ORDER BY id")).scalars().all()
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]


def test_a_bulk_insert_that_breaks_a_constraint_is_an_integrity_error_retried_then_reported(
    tmp_path: Path,
) -> None:
    """The raw driver's error is wrapped as SQLAlchemy's, so the store's retry and error
    translation see it; nothing of the batch is stored."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with Tracker.open(settings=settings_for(url)) as tracker:
        store = tracker._app.store
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER no_more BEFORE INSERT ON deliveries "
                "BEGIN SELECT RAISE(ABORT, 'no more deliveries'); END"
            )
        with pytest.raises(Exception, match="no more deliveries") as caught:
            tracker.track_many([make_signal(created_at=AT, receivers=(1,))] * 2, now=NOW)
        assert not isinstance(caught.value, sqlite3.Error)  # translated at the store's edge
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM signals")).scalar_one() == 0


def test_concurrent_batches_of_the_same_seconds_never_lose_or_duplicate_a_signal(
    db_url: str,
) -> None:
    """Writers choose ids for the same bases at once: PostgreSQL takes the bases' locks in
    one statement, SQLite numbers primary keys under its write lock."""
    Tracker.open(settings=settings_for(db_url)).dispose()
    workers, batches, size = 4, 3, 20
    ids: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(worker: int) -> None:
        with Tracker.open(settings=settings_for(db_url)) as tracker:
            start.wait()
            for _ in range(batches):
                batch = [
                    make_signal(created_at=AT + timedelta(seconds=i % 5), receivers=(9, 100 + i))
                    for i in range(size)
                ]
                try:
                    ids.extend(tracker.track_many(batch, now=NOW))
                except BaseException as exc:  # collected and reported below
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ids) == len(set(ids)) == workers * batches * size
    with Tracker.open(settings=settings_for(db_url)) as tracker:
        rows = stored_rows(tracker._app.store.engine)
    assert sorted(r[0] for r in rows["signals"]) == sorted(ids)
    assert len(rows["signal_events"]) == len(ids) and len(rows["deliveries"]) == 2 * len(ids)


def test_track_many_leaves_the_cycle_collector_as_it_found_it(sqlite_tracker: Tracker) -> None:
    assert gc.isenabled()
    sqlite_tracker.track_many([make_signal(created_at=AT)] * 2, now=NOW)
    assert gc.isenabled()
    with pytest.raises(InvalidBatch):
        sqlite_tracker.track_many([make_signal(created_at=AT), {"symbol": "??"}], now=NOW)
    assert gc.isenabled()
    gc.disable()
    try:
        sqlite_tracker.track_many([make_signal(created_at=AT)] * 2, now=NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- the encoders against SQLAlchemy's own processors -------------------------------------

_STORE_TEXT = sqlite.DATETIME().bind_processor(sqlite.dialect())
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-9, minutes=-30)), WIB,
     ZoneInfo("America/New_York"), ZoneInfo("Pacific/Chatham")]
)  # fmt: skip


def core_text(moment: datetime) -> str:
    """What the Core path stores on SQLite: UtcDateTime, then SQLite's DATETIME."""
    return _STORE_TEXT(UtcDateTime().process_bind_param(moment, sqlite.dialect()))  # type: ignore[misc,no-any-return]


@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                           timezones=zones))  # fmt: skip
@example(moment=datetime(999, 1, 1, tzinfo=UTC))
@example(moment=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC))
def test_the_sqlite_time_text_is_what_the_column_type_stores(moment: datetime) -> None:
    assert sqlite_utc_text(moment) == core_text(moment)
    utc = moment.astimezone(UTC)
    assert created_data_json(utc, sqlite_utc_text(utc)) == json.dumps(
        {"created_at": utc.isoformat()}
    )
    assert created_data_json(moment) == json.dumps({"created_at": moment.isoformat()})


def test_a_naive_time_is_refused_like_the_column_type_refuses_it() -> None:
    with pytest.raises(ValueError, match="aware"):
        sqlite_utc_text(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        core_text(datetime(2026, 1, 1))


@given(st.lists(st.floats(min_value=1e-300, max_value=1e300), min_size=1, max_size=10))
def test_prices_are_written_as_json_dumps_writes_them(levels: list[float]) -> None:
    assert floats_json(tuple(levels)) == json.dumps(levels)
