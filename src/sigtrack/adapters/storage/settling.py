"""Settling's reads and writes: the open signals in one query, a pass's outcomes in bulk.

A pass over 100,000 signals spent three quarters of its time building one SQLAlchemy
UPDATE per signal (issue 9). Here the open signals come back as columns from one query,
and a pass's outcomes are written from the engine's columns: each stored value encoded
once, as the Core path stores it (`outcome_texts` is `json.dumps(outcome.to_json())` but
for the text of some numbers: it reads back as the same outcome, a test holds it so), then

- on SQLite, under the write lock the store takes at `BEGIN IMMEDIATE`, the rows still
  as the pass read them are picked, then one prepared UPDATE by primary key and one INSERT
  of the events run as an `executemany` each on the driver's cursor;
- on PostgreSQL one `UPDATE … FROM jsonb_array_elements(…) … RETURNING` writes every row
  whose stored outcome is still the pass's (the UPDATE's row locks, taken in key order,
  wait for a concurrent monitor and then compare with what it wrote: the FOR UPDATE
  semantics in one statement), and one `INSERT … SELECT` the events of the rows written.
  (A COPY into a temporary table + `UPDATE … FROM`, and a `SELECT … FOR UPDATE` first,
  measured slower: bench/README.md.)

Either way a row is written only if it is still open and its stored outcome is still the
one the pass started from (its stamp); the rollup days are marked once per day.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from hashlib import md5
from itertools import chain, repeat
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from sqlalchemy import Connection, func, insert, select, update

from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.rollups import day_of, mark_days
from sigtrack.adapters.storage.stored_texts import (
    floats,
    joined,
    literal,
    mask,
    number_column,
    outcome_texts,
    pg_times,
    quoted,
    sqlite_times,
    string_column,
)
from sigtrack.adapters.storage.tables import signal_events, signals
from sigtrack.core.outcomes import Outcome
from sigtrack.core.signals import EventKind, Status
from sigtrack.services.ports import OpenSignals, SettledRows, SettleUpdate

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_ACTIVE = Status.ACTIVE.value
_DAY_MS = 86_400_000

# --- reading ----------------------------------------------------------------------------

# Of the signals read only (a pass reads each claimed symbol's again: the widest of all the
# open signals was a scan of every one of them per symbol, ~15 % of a PostgreSQL pass)
_WIDEST = "SELECT max(json_array_length(targets)) FROM signals WHERE status = 'ACTIVE'{where}"
_OPEN_POSTGRES = (
    "SELECT id, signal_id, symbol, side = 'LONG', timeframe, entry, sl, "
    "(extract(epoch FROM created_at) * 1000000)::bigint, outcome::text{targets} "
    "FROM signals WHERE status = 'ACTIVE'{where} ORDER BY created_at, id"
)
# the targets' JSON texts parsed here, and the rows put in order here: json_extract of
# each target and SQLite's ORDER BY (a temporary B-tree) cost ~0.3 s a 100,000 signals
_OPEN_SQLITE = (
    "SELECT id, signal_id, symbol, side = 'LONG', timeframe, entry, sl, created_at, outcome, "
    "targets FROM signals WHERE status = 'ACTIVE'{where}"
)


def open_counts(conn: Connection, symbols: Collection[str] | None) -> dict[str, int]:
    """Open signals by symbol, from the (status, symbol) index."""
    query = (
        select(signals.c.symbol, func.count())
        .where(signals.c.status == Status.ACTIVE.value)
        .group_by(signals.c.symbol)
    )
    if symbols is not None:
        query = query.where(signals.c.symbol.in_(sorted(symbols)))
    return {str(symbol): int(n) for symbol, n in conn.execute(query)}


def read_open(conn: Connection, symbols: Collection[str] | None) -> OpenSignals:
    """The open signals (of `symbols`) as columns, oldest first, from one query."""
    postgres = conn.dialect.name == "postgresql"
    mark, params = ("%s" if postgres else "?"), tuple(sorted(symbols or ()))
    where = (
        "" if symbols is None else f" AND symbol IN ({', '.join(mark for _ in params) or 'NULL'})"
    )
    raw, cursor = RawSql(conn.dialect), conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if postgres:  # the database takes the targets out of the JSON list, as numbers
            widest = _WIDEST.format(where=where)
            with raw.as_sqlalchemy_errors(widest):
                cursor.execute(widest, params)
                width = int(cursor.fetchone()[0] or 1)
            targets = "".join(f", (targets->>{j})::float8" for j in range(width))
            sql = _OPEN_POSTGRES.format(targets=targets, where=where)
        else:
            sql, width = _OPEN_SQLITE.format(where=where), 1
        with raw.as_sqlalchemy_errors(sql):
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(9 + width)]
    if postgres:  # the time as whole microseconds since the epoch, exactly
        levels = np.array(columns[9:], dtype=np.float64).T.reshape(len(rows), width)
        return _open_signals(columns[:9], np.array(columns[7], dtype=np.int64), levels)
    # UtcDateTime's text on SQLite: naive UTC
    created_us = np.array(columns[7], dtype="datetime64[us]").astype(np.int64)
    found = _open_signals(columns[:9], created_us, _levels(columns[9]))
    order = np.lexsort((found.keys, created_us))  # oldest first
    return found if (order == np.arange(len(order))).all() else found.take(order)


def _levels(texts: Sequence[str]) -> F64:
    """The JSON lists of targets as an N × (the longest) array; NaN past a list's end."""
    try:
        values, lengths = _number_lists(texts)
    except pa.ArrowInvalid:  # not all written as json.dumps writes them: parse them as JSON
        lists = json.loads(f"[{','.join(texts)}]")  # one parse
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        values = np.fromiter(chain.from_iterable(lists), np.float64, int(lengths.sum()))
    levels = np.full((len(texts), max(1, int(lengths.max(initial=1)))), np.nan)
    rows = np.repeat(np.arange(len(texts)), lengths)
    levels[rows, np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)] = values
    return levels


def _number_lists(texts: Sequence[str]) -> tuple[F64, I64]:
    """Lists of numbers as json.dumps writes them ("[1.5, 2.0]"), parsed in Arrow: all their
    numbers, and each list's length (~5x faster than json.loads; a number is read as the
    same float, as both round the decimal correctly). ArrowInvalid for any other text."""
    parts = pc.split_pattern(pc.utf8_trim(string_column(texts), characters="[]"), ", ")
    numbers, offsets = pc.cast(parts.flatten(), pa.float64()), parts.offsets
    if numbers.null_count:
        raise pa.ArrowInvalid("a null in a list of numbers")
    # from the buffers: Arrow's to_numpy would import pandas
    values = np.frombuffer(numbers.buffers()[1], np.float64)[numbers.offset :][: len(numbers)]
    ends = np.frombuffer(offsets.buffers()[1], np.int32)[offsets.offset :][: len(offsets)]
    return values.copy(), np.diff(ends).astype(np.int64)


def _open_signals(columns: Sequence[Sequence[Any]], created_us: I64, levels: F64) -> OpenSignals:
    keys, ids, symbols, is_long, timeframes, entry, stop, _, stored = (
        list(column) for column in columns
    )
    settled = [text for text in stored if text is not None]
    parsed = iter(json.loads(f"[{','.join(settled)}]")) if settled else iter(())  # one parse
    return OpenSignals(
        keys=np.array(keys, dtype=np.int64),
        signal_ids=ids,
        symbols=symbols,
        is_long=np.array(is_long, dtype=bool),
        entry=np.array(entry, dtype=np.float64),
        stop=np.array(stop, dtype=np.float64),
        targets=levels,
        created_ms=-(-created_us // 1000),  # as datetime_to_ms: a part of a ms rounds up
        timeframes=timeframes,
        outcomes=[None if text is None else Outcome.from_json(next(parsed)) for text in stored],
        stamps=stored,
    )


# --- writing a pass ------------------------------------------------------------------------

_SET = ("outcome", "r_multiple", "mfe_pct", "mae_pct", "ambiguous", "rule", "tp1_hit_at",
        "status", "result", "exit_reason", "pnl_pct", "closed_at")  # fmt: skip
_UPDATE_SQLITE = (
    f"UPDATE signals SET {', '.join(f'{c} = ?' for c in _SET)} WHERE id = ? AND status = 'ACTIVE'"
)
_EVENTS = "signal_events (signal_pk, kind, at, actor, note, data)"
_INSERT_EVENTS_SQLITE = f"INSERT INTO {_EVENTS} VALUES (?, ?, ?, ?, ?, ?)"
_STAMPS_SQLITE = (
    "SELECT id, outcome FROM signals WHERE status = 'ACTIVE' "
    "AND id IN (SELECT value FROM json_each(?))"
)
# Of the rows the pass read with no outcome yet, those that are gone, closed or given one
# since: usually none, so the answer is a few rows, not one per signal (~0.1 s a 100,000).
_MOVED_SQLITE = (
    "SELECT k.value FROM json_each(?) AS k LEFT JOIN signals AS s ON s.id = k.value "
    "WHERE s.id IS NULL OR s.status != 'ACTIVE' OR s.outcome IS NOT NULL"
)
_UPDATE_POSTGRES = (
    "UPDATE signals AS s SET outcome = (r->>0)::json, r_multiple = (r->>1)::float8, "
    "mfe_pct = (r->>2)::float8, mae_pct = (r->>3)::float8, ambiguous = (r->>4)::boolean, "
    "rule = r->>5, tp1_hit_at = (r->>6)::timestamptz, status = r->>7, result = r->>8, "
    "exit_reason = r->>9, pnl_pct = (r->>10)::float8, closed_at = (r->>11)::timestamptz "
    "FROM jsonb_array_elements(%s::jsonb) AS r WHERE s.id = (r->>12)::bigint "
    "AND s.status = 'ACTIVE' AND md5(s.outcome::text) IS NOT DISTINCT FROM r->>13 "
    "RETURNING s.id"
)
_INSERT_EVENTS_POSTGRES = (
    f"INSERT INTO {_EVENTS} SELECT (r->>0)::bigint, r->>1, (r->>2)::timestamptz, r->>3, "
    "r->>4, (r->>5)::json FROM jsonb_array_elements(%s::jsonb) AS r"
)


def save_settled(conn: Connection, settled: SettledRows) -> B:
    """Write a pass's rows in the caller's transaction; returns which rows were written."""
    if not len(settled):
        return np.zeros(0, dtype=bool)
    raw = RawSql(conn.dialect)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            written = _write_postgres(cursor, raw, settled)
        else:
            written = _write_sqlite(cursor, raw, settled)
    finally:
        cursor.close()
    closed_days = settled.created_ms[written & settled.closed] // _DAY_MS
    days = np.unique(closed_days).astype("datetime64[D]")
    mark_days(conn, np.datetime_as_string(days).tolist(), raw)
    _record_lost_closes(conn, settled, written)
    return written


def _record_lost_closes(conn: Connection, settled: SettledRows, written: B) -> None:
    """A close the pass found for a signal closed meanwhile (by hand, or by another
    monitor): the signal keeps its outcome, the history gets a `refused` event for the
    pass's attempt."""
    lost = np.flatnonzero(~written & settled.closed)
    if not len(lost):
        return
    keys = [int(settled.keys[k]) for k in lost]
    closed = {
        row.id: row.result
        for row in conn.execute(
            select(signals.c.id, signals.c.result).where(
                signals.c.id.in_(keys), signals.c.status == Status.CLOSED.value
            )
        )
    }
    events = []
    for k in lost.tolist():
        pk = int(settled.keys[k])
        if pk not in closed:
            continue  # still open: another monitor moved it; nothing was refused
        attempt = next((e for e in settled.events(k) if e.kind is EventKind.CLOSED), None)
        if attempt is None:
            continue
        data = dict(attempt.data) | {"kept_result": closed[pk]}
        events.append({"signal_pk": pk, "kind": EventKind.REFUSED.value, "at": attempt.at,
                       "actor": settled.actor, "note": attempt.note, "data": data})  # fmt: skip
    if events:
        conn.execute(insert(signal_events), events)


def _write_sqlite(cursor: Any, raw: RawSql, settled: SettledRows) -> B:
    """Under the write lock (BEGIN IMMEDIATE): which rows are still open with the stored
    outcome the pass read; then those written, by one prepared UPDATE and INSERT each."""
    keys, stamps = settled.keys.tolist(), settled.stamps
    fresh = np.array([stamp is None for stamp in stamps], dtype=bool)
    written = np.zeros(len(keys), dtype=bool)
    if fresh.any():  # still open and still without an outcome: all but those that moved
        with raw.as_sqlalchemy_errors(_MOVED_SQLITE):
            cursor.execute(_MOVED_SQLITE, (json.dumps(settled.keys[fresh].tolist()),))
            moved = [key for (key,) in cursor.fetchall()]
        written[fresh] = ~np.isin(settled.keys[fresh], np.array(moved, dtype=np.int64))
    if not fresh.all():  # still open with the very outcome text the pass read
        resumed = np.flatnonzero(~fresh).tolist()
        with raw.as_sqlalchemy_errors(_STAMPS_SQLITE):
            cursor.execute(_STAMPS_SQLITE, (json.dumps([keys[k] for k in resumed]),))
            now = dict(cursor.fetchall())
        missing = object()
        for k in resumed:
            written[k] = now.get(keys[k], missing) == stamps[k]
    picked = np.flatnonzero(written)
    for start in range(0, len(picked), _SQLITE_CHUNK):
        chunk = picked[start : start + _SQLITE_CHUNK]
        rows, closed_at = _update_rows(settled, chunk, sqlite_times, postgres=False)
        with raw.as_sqlalchemy_errors(_UPDATE_SQLITE):
            cursor.executemany(_UPDATE_SQLITE, rows)
        events = _event_rows(settled, chunk, sqlite_times, closed_at)
        with raw.as_sqlalchemy_errors(_INSERT_EVENTS_SQLITE):
            cursor.executemany(_INSERT_EVENTS_SQLITE, events)
    return written


# Rows written per UPDATE / INSERT batch on SQLite (one transaction all the same): a
# batch's texts are freed before the next is made, so the pass reuses the same memory
# instead of faulting in fresh pages for all of its texts at once.
_SQLITE_CHUNK = 8192


def _write_postgres(cursor: Any, raw: RawSql, settled: SettledRows) -> B:
    """One UPDATE of every row from a JSON array (one round trip; json.dumps writes it in
    C), each row written only if still open with the stored outcome the pass read (md5 of
    its text; the UPDATE's own row lock waits for a concurrent writer, then compares with
    what that one wrote), in key order; then the events of the rows written."""
    order = np.argsort(settled.keys, kind="stable")  # rows locked in key order: no deadlock
    rows, closed_at = _update_rows(settled, order, pg_times, postgres=True)
    stamps = [settled.stamps[k] for k in order.tolist()]
    payload = [(*row, None if stamp is None else md5(stamp.encode()).hexdigest())
               for row, stamp in zip(rows, stamps, strict=True)]  # fmt: skip
    with raw.as_sqlalchemy_errors(_UPDATE_POSTGRES):
        cursor.execute(_UPDATE_POSTGRES, (json.dumps(payload, allow_nan=False),))
        done = {key for (key,) in cursor.fetchall()}
    written = np.array([key in done for key in settled.keys.tolist()], dtype=bool)
    picked = np.flatnonzero(written)
    if len(picked):
        at_by_key = dict(zip(settled.keys[order].tolist(), closed_at, strict=True))
        events = _event_rows(
            settled, picked, pg_times, [at_by_key[k] for k in settled.keys[picked].tolist()]
        )
        with raw.as_sqlalchemy_errors(_INSERT_EVENTS_POSTGRES):
            cursor.execute(_INSERT_EVENTS_POSTGRES, (json.dumps(events, allow_nan=False),))
    return written


def _update_rows(
    settled: SettledRows, picked: I64, time_text: Any, *, postgres: bool
) -> tuple[list[tuple[Any, ...]], list[str | None]]:
    """The UPDATE rows of `picked` (the `_SET` columns, then the key), and their close times."""
    state, chosen = settled.outcomes, picked.tolist()
    rows = settled.rows[picked]
    closed_at = time_text(settled.closed_at_ms[picked])
    results = [settled.results[k] for k in chosen]
    reasons = [settled.exit_reasons[k] for k in chosen]
    texts = outcome_texts(state, rows, results, reasons)
    ambiguous = state.is_ambiguous[rows]
    flags = ambiguous.tolist() if postgres else ambiguous.astype(np.int64).tolist()
    closed, active = Status.CLOSED.value, _ACTIVE
    updates = list(zip(
        texts, floats(state.r_multiple[rows]), floats(state.mfe_pct[rows]),
        floats(state.mae_pct[rows]), flags, repeat(state.rule),
        time_text(state.hit_ms[rows, 0]), [active if r is None else closed for r in results],
        results, reasons, floats(state.pnl_pct[rows]), closed_at,
        settled.keys[picked].tolist(), strict=False,
    ))  # fmt: skip
    return updates, closed_at


def _event_rows(
    settled: SettledRows, picked: I64, time_text: Any, closed_at: list[str | None]
) -> list[tuple[Any, ...]]:
    """The tp_hit events (target by target), then the closed ones: per signal, in that order."""
    state, rows, keys = settled.outcomes, settled.rows[picked], settled.keys[picked]
    new_hits = settled.new_hits[picked]
    actor, events = settled.actor, list[tuple[Any, ...]]()
    for j in range(new_hits.shape[1]):
        hit = new_hits[:, j]
        prices = number_column(state.signals.targets[rows[hit], j])
        data = joined([f'{{"target": {j + 1}, "price": ', prices, "}"]).to_pylist()
        events += zip(
            keys[hit].tolist(), repeat(EventKind.TP_HIT.value),
            time_text(state.hit_ms[rows[hit], j]), repeat(actor), repeat(None), data,
        )  # fmt: skip
    closed = np.flatnonzero(settled.closed[picked])
    at, done = [closed_at[k] for k in closed.tolist()], rows[closed]
    chosen = picked[closed].tolist()
    ambiguous = pc.if_else(mask(state.is_ambiguous[done]), literal('"yes"'), literal('"no"'))
    data = joined([
        '{"result": ', quoted([settled.results[k] for k in chosen]),
        ', "exit_reason": ', quoted([settled.exit_reasons[k] for k in chosen]),
        ', "pnl_pct": ', number_column(state.pnl_pct[done]),
        ', "r_multiple": ', number_column(state.r_multiple[done]),
        ', "ambiguous": ', ambiguous, f', "rule": {json.dumps(state.rule)}}}',
    ]).to_pylist()  # fmt: skip
    events += zip(
        keys[closed].tolist(), repeat(EventKind.CLOSED.value), at, repeat(actor),
        repeat(settled.note), data,
    )  # fmt: skip
    return events


def save_outcomes(conn: Connection, updates: Sequence[SettleUpdate], *, now: datetime) -> list[str]:
    """Apply the updates in the caller's transaction; returns the ids written."""
    ids = [u.signal_id for u in updates]
    query = select(
        signals.c.signal_id, signals.c.id, signals.c.outcome, signals.c.created_at
    ).where(signals.c.signal_id.in_(ids), signals.c.status == Status.ACTIVE.value)
    if conn.dialect.name != "sqlite":  # SQLite's write transaction already holds the lock
        query = query.with_for_update()
    stored = {row[0]: (row[1], row[2], row[3]) for row in conn.execute(query)}
    written, events, closed_days = [], [], set()
    for item in updates:
        if item.signal_id not in stored:  # closed by hand (or deleted) since the pass read it
            continue
        pk, outcome_now, created_at = stored[item.signal_id]
        if (Outcome.from_json(outcome_now) if outcome_now else None) != item.previous:
            continue  # another monitor moved this signal on first: its write stands
        changed = conn.execute(
            update(signals)
            .where(signals.c.id == pk, signals.c.status == Status.ACTIVE.value)
            .values(**outcome_columns(item.outcome))
        ).rowcount
        if not changed:
            continue
        written.append(item.signal_id)
        if item.outcome.status is Status.CLOSED:  # progress alone changes no sums
            closed_days.add(day_of(created_at))
        events += [
            {
                "signal_pk": pk,
                "kind": e.kind.value,
                "at": e.at,
                "actor": e.actor,
                "note": e.note,
                "data": dict(e.data),
            }
            for e in item.events
        ]
    if events:
        conn.execute(insert(signal_events), events)
    mark_days(conn, closed_days)
    return written


def outcome_columns(outcome: Outcome) -> dict[str, Any]:
    """The signals columns an outcome sets (the closing too once it is closed)."""
    values: dict[str, Any] = {
        "outcome": outcome.to_json(),
        "r_multiple": outcome.r_multiple,
        "mfe_pct": outcome.mfe_pct,
        "mae_pct": outcome.mae_pct,
        "ambiguous": outcome.is_ambiguous,
        "rule": outcome.rule,
        "tp1_hit_at": outcome.target_hits[0] if outcome.legs else None,
    }
    if outcome.status is Status.CLOSED:
        assert outcome.result is not None and outcome.exit_reason is not None
        values |= {
            "status": Status.CLOSED.value,
            "result": outcome.result.value,
            "exit_reason": outcome.exit_reason.value,
            "pnl_pct": outcome.pnl_pct,
            "closed_at": outcome.closed_at,
        }
    return values
