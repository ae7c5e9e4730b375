"""Logging commands (`track_user_command`): one insert, whatever the history holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from sigtrack.adapters.storage import SqlSignalStore, create_store_engine, migrate
from sigtrack.core.records import Activity

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


@pytest.fixture
def recorded(db_url: str) -> Iterator[tuple[SqlSignalStore, list[str]]]:
    """A store whose every SQL statement (Core and driver-level) is recorded."""
    engine = create_store_engine(db_url)
    migrate(engine)
    statements: list[str] = []
    if engine.dialect.name == "sqlite":
        # The hot paths run on the driver's cursor, below SQLAlchemy's events.
        def trace(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            dbapi_conn.set_trace_callback(statements.append)

        event.listen(engine, "connect", trace)
    else:

        def before(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements.append(sql)

        event.listen(engine, "before_cursor_execute", before)
    engine.dispose()  # the pooled connections were opened before the listener
    store = SqlSignalStore(engine, checkpoint_interval_s=None)
    yield store, statements
    store.dispose()


def _line(n: int, at: datetime = NOW) -> Activity:
    return Activity(at=at, user_id=n, username=f"user{n}", command="/signal", symbol="BTCUSDT",
                    timeframe="15m")  # fmt: skip


def _touching_activity(statements: list[str]) -> list[str]:
    return [s for s in statements if "activity" in s.lower()]


def test_logging_a_command_is_one_insert_and_reads_nothing_of_the_history(
    recorded: tuple[SqlSignalStore, list[str]],
) -> None:
    store, statements = recorded
    store.add_activity([_line(n) for n in range(50)])
    statements.clear()
    assert store.add_activity([_line(99)]) == 1
    touching = _touching_activity(statements)
    assert len(touching) == 1, touching
    assert touching[0].lstrip().upper().startswith("INSERT"), touching
    assert [a.user_id for a in store.list_activity()][-1] == 99


def test_an_import_reports_only_the_lines_it_added(
    recorded: tuple[SqlSignalStore, list[str]],
) -> None:
    store, statements = recorded
    store.add_activity([_line(n) for n in range(10)])  # other rows, not deduplicated
    lines = [_line(n, NOW + timedelta(minutes=n)) for n in range(5)]
    assert store.add_activity(lines, dedupe=True) == 5
    statements.clear()
    again = [*lines[:3], _line(7, NOW + timedelta(hours=1)), _line(7, NOW + timedelta(hours=1))]
    assert store.add_activity(again, dedupe=True) == 1  # a line repeated in the batch once
    assert not [s for s in _touching_activity(statements) if "count(" in s.lower()]
    assert len(list(store.list_activity())) == 16
