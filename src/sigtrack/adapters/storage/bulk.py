"""New signals written many at once: rows encoded straight into what the driver stores.

`track_many` and imports write thousands of rows in one transaction. Building a dict per
row and running SQLAlchemy's bind processor on every value cost more than SQLite spends
storing the rows (bench/README.md, known problem 1). Here each value is encoded once, in
the very form the Core path stores (`UtcDateTime`'s text on SQLite, `json.dumps` text for
JSON columns; a test compares the rows byte for byte), and:

- on SQLite the three tables get one `executemany` each, the signals with explicit
  primary keys from `max(id) + 1`: the store writes inside `BEGIN IMMEDIATE`, so no other
  writer can take those keys meanwhile, and they are the rowids SQLite would choose;
- on PostgreSQL each table gets one `INSERT … SELECT … FROM jsonb_array_elements(<rows>)`,
  one round trip per table instead of one pipelined INSERT per row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from itertools import count, repeat
from typing import Any

from sqlalchemy import Connection, String, Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.expression import Executable

from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.tables import deliveries, signal_events, signals
from sigtrack.adapters.storage.types import sqlite_utc_text
from sigtrack.core.candles import Timeframe
from sigtrack.core.records import Closing
from sigtrack.core.signals import EventKind, Result, Side, Status
from sigtrack.services.ports import NewSignal

SIGNAL_COLUMNS = (
    "signal_id", "user_id", "symbol", "side", "timeframe", "entry", "targets", "sl",
    "confidence", "reasons", "tags", "strategy", "source", "exchange", "market",
    "created_at", "recorded_at", "status", "result", "exit_reason", "pnl_pct", "closed_at",
)  # fmt: skip
EVENT_COLUMNS = ("signal_pk", "kind", "at", "actor", "note", "data")
DELIVERY_COLUMNS = ("signal_pk", "user_id", "position")
_JSON_COLUMNS = frozenset({"targets", "reasons", "tags", "data"})
_JSON_CACHE_MAX = 4096  # distinct reason / tag lists remembered per batch


def closing_event_data(closing: Closing, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `data` of a closed / cancelled / override event."""
    return {
        "result": closing.result.value,
        "exit_reason": closing.exit_reason.value,
        "pnl_pct": closing.pnl_pct,
        "closed_at": closing.closed_at.isoformat(),
        **(extra or {}),
    }


def closing_kind(closing: Closing) -> EventKind:
    return EventKind.CANCELLED if closing.result is Result.CANCELLED else EventKind.CLOSED


_SIDES = {side: side.value for side in Side}  # the enums' texts, without `.value` per row
_TIMEFRAMES = {tf: tf.value for tf in Timeframe}
_OPEN = (Status.ACTIVE.value, None, None, None, None)  # status … closed_at of an open signal


class _TextsJson:
    """`json.dumps` of a tuple of texts, remembered: bots repeat the same few reason lists."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, ...], str] = {}

    def __call__(self, values: tuple[str, ...]) -> str:
        found = self._known.get(values)
        if found is None:
            found = json.dumps(values)
            if len(self._known) < _JSON_CACHE_MAX:
                self._known[values] = found
        return found


def floats_json(values: tuple[float, ...]) -> str:
    """`json.dumps` of finite floats (prices are checked finite): a list's repr is the same
    text, made in C."""
    return repr(list(values))


def ints_json(values: tuple[int, ...]) -> str:
    """A JSON list of ints (a parameter for json_each; never stored)."""
    return repr(list(values))


def created_data_json(created_at: datetime, stored: str | None = None) -> str:
    """`json.dumps({"created_at": created_at.isoformat()})`; from `stored`, the SQLite text
    of the same UTC time, when given (an isoformat holds nothing that JSON escapes)."""
    if stored is None or created_at.tzinfo is not UTC:
        return json.dumps({"created_at": created_at.isoformat()})
    fraction = "" if created_at.microsecond == 0 else stored[19:]
    return f'{{"created_at": "{stored[:10]}T{stored[11:19]}{fraction}+00:00"}}'


def _closing_columns(closing: Closing | None, time: Callable[[datetime], Any]) -> tuple[Any, ...]:
    if closing is None:
        return _OPEN
    return (Status.CLOSED.value, closing.result.value, closing.exit_reason.value,
            closing.pnl_pct, time(closing.closed_at))  # fmt: skip


def _closing_event(pk: int, closing: Closing, actor: str, at: Any) -> tuple[Any, ...]:
    data = json.dumps(closing_event_data(closing))
    return (pk, closing_kind(closing).value, at, actor, None, data)


def insert_new(
    conn: Connection, raw: RawSql, pending: Mapping[str, NewSignal], now: datetime
) -> None:
    """Insert fresh signals (by their chosen, free ids), their events and deliveries."""
    if not pending:
        return
    if conn.dialect.name == "postgresql":
        _insert_postgres(conn, pending, now)
    else:
        _insert_sqlite(conn, raw, pending, now)


# --- SQLite ---------------------------------------------------------------------------


def _insert_sqlite(
    conn: Connection, raw: RawSql, pending: Mapping[str, NewSignal], now: datetime
) -> None:
    top = raw.execute(conn, "max_signal_pk", _max_pk, {})[0]["top"]
    first = int(top or 0) + 1
    signal_rows, events, receivers = _sqlite_rows(pending, first, now)
    raw.executemany_encoded(
        conn, "insert_signals_encoded", lambda: insert(signals), ("id", *SIGNAL_COLUMNS),
        signal_rows,
    )  # fmt: skip
    raw.executemany_encoded(
        conn, "insert_events_encoded", lambda: insert(signal_events), EVENT_COLUMNS, events
    )
    raw.executemany_encoded(
        conn, "insert_deliveries_json", _deliveries_from_json, ("signal_pk", "receivers"),
        receivers,
    )  # fmt: skip


def _deliveries_from_json() -> Executable:
    """A signal's deliveries from the JSON list of its receivers, in one row of parameters:
    SQLite's json_each makes the rows (a fifth of the driver's per-row work)."""
    each = func.json_each(bindparam("receivers")).table_valued("key", "value")
    rows = select(bindparam("signal_pk"), each.c.value, each.c.key)
    return insert(deliveries).from_select(["signal_pk", "user_id", "position"], rows)


def _sqlite_rows(
    pending: Mapping[str, NewSignal], first: int, now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[int, str]]]:
    """The rows of the three tables, the signals numbered from `first` (the hot loop of
    `track_many`: one pass, each value encoded once)."""
    text, texts_json = sqlite_utc_text, _TextsJson()
    now_text, created_kind = text(now), EventKind.CREATED.value
    signal_rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    receivers: list[tuple[int, str]] = []
    for pk, (signal_id, item) in enumerate(pending.items(), start=first):
        s = item.signal
        created = text(s.created_at)
        signal_rows.append((
            pk, signal_id, s.user_id, s.symbol, _SIDES[s.side], _TIMEFRAMES[s.timeframe],
            s.entry, floats_json(s.targets), s.stop, s.confidence, texts_json(s.reasons),
            texts_json(s.tags), s.strategy, s.source, s.exchange, s.market, created, now_text,
            *_closing_columns(item.closing, text),
        ))  # fmt: skip
        data = created_data_json(s.created_at, created)
        events.append((pk, created_kind, now_text, item.actor, None, data))
        if item.closing is not None:
            events.append(_closing_event(pk, item.closing, item.actor, now_text))
        if s.receivers:
            receivers.append((pk, ints_json(s.receivers)))
    return signal_rows, events, receivers


def _max_pk() -> Executable:
    return select(func.max(signals.c.id).label("top"))


# --- PostgreSQL -----------------------------------------------------------------------


def _insert_postgres(conn: Connection, pending: Mapping[str, NewSignal], now: datetime) -> None:
    texts_json, iso = _TextsJson(), datetime.isoformat
    now_text = now.isoformat()
    signal_rows = [
        (signal_id, s.user_id, s.symbol, _SIDES[s.side], _TIMEFRAMES[s.timeframe], s.entry,
         floats_json(s.targets), s.stop, s.confidence, texts_json(s.reasons),
         texts_json(s.tags), s.strategy, s.source, s.exchange, s.market, iso(s.created_at),
         now_text, *_closing_columns(item.closing, iso))
        for signal_id, item in pending.items()
        for s in (item.signal,)
    ]  # fmt: skip
    returned = conn.exec_driver_sql(
        _json_insert(signals, SIGNAL_COLUMNS, returning="id, signal_id"),
        {"rows": json.dumps(signal_rows, allow_nan=False)},
    )
    pk_of: dict[str, int] = {signal_id: pk for pk, signal_id in returned}
    events: list[tuple[Any, ...]] = []
    receivers: list[tuple[int, int, int]] = []
    for signal_id, item in pending.items():
        pk, s = pk_of[signal_id], item.signal
        data = created_data_json(s.created_at)
        events.append((pk, EventKind.CREATED.value, now_text, item.actor, None, data))
        if item.closing is not None:
            events.append(_closing_event(pk, item.closing, item.actor, now_text))
        receivers.extend(zip(repeat(pk), s.receivers, count()))
    for table, columns, values in (
        (signal_events, EVENT_COLUMNS, events),
        (deliveries, DELIVERY_COLUMNS, receivers),
    ):
        if values:
            rows = json.dumps(values, allow_nan=False)
            conn.exec_driver_sql(_json_insert(table, columns), {"rows": rows})


@cache
def _json_insert(table: Table, columns: tuple[str, ...], returning: str = "") -> str:
    """`INSERT INTO t (a, b) SELECT (r->>0)::bigint, (r->>1)::json FROM
    jsonb_array_elements(%(rows)s::jsonb) AS r`: all rows in one JSON array of arrays,
    which json.dumps writes in C (psycopg dumps list parameters item by item in Python);
    jsonb, parsed once, reads 3× faster here than json. JSON columns travel as strings of
    their text. Texts stay `text` until the column takes them, so an over-long one fails
    as in a plain INSERT instead of being cut by a cast to varchar(n)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    picks = []
    for i, name in enumerate(columns):
        column_type = table.c[name].type
        if name in _JSON_COLUMNS:
            sql_type = "json"
        elif isinstance(column_type, String):
            sql_type = "text"
        else:
            sql_type = column_type.compile(dialect=dialect)
        picks.append(f"(r->>{i})::{sql_type}")
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT {', '.join(picks)} FROM jsonb_array_elements(%(rows)s::jsonb) AS r"
    )
    return f"{sql} RETURNING {returning}" if returning else sql
