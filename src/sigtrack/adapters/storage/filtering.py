"""Signals matching a SignalFilter, read as outcome columns for the statistics; the listing
queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    Text,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from sigtrack.adapters.storage.tables import signals
from sigtrack.core.filters import SignalFilter
from sigtrack.core.performance import NO_TIME, OPEN, RESULT_CODES, OutcomeColumns, SignalFrame
from sigtrack.core.signals import ExitReason, Status

# targets reached, by how the plan ended ("TP2_BE" → 2)
_TARGETS_HIT = {
    reason: int(reason.value[2:].split("_")[0])
    for reason in ExitReason
    if reason.value.startswith("TP")
}
_TARGETS_HIT |= {ExitReason.SL: 0, ExitReason.TIMEOUT: 0}


def conditions(chosen: SignalFilter, dialect: str) -> list[ColumnElement[bool]]:
    c = signals.c
    where: list[ColumnElement[bool]] = []
    for name in ("strategy", "symbol", "side", "timeframe", "source"):
        value = getattr(chosen, name)
        if value is not None:
            where.append(c[name] == value)
    if chosen.since is not None:
        where.append(c.created_at >= chosen.since)
    if chosen.until is not None:
        where.append(c.created_at < chosen.until)
    if chosen.min_confidence is not None:
        where.append(c.confidence >= chosen.min_confidence)
    if chosen.tag is not None:
        each = _each_tag(dialect)
        where.append(exists(select(literal(1)).select_from(each).where(each.c.value == chosen.tag)))
    return where


def matching_signals(chosen: SignalFilter, dialect: str) -> Select[Any]:
    """The rows of the signals matching `chosen`, oldest first (the filter's one definition,
    also under the statistics below)."""
    c = signals.c
    return select(signals).where(*conditions(chosen, dialect)).order_by(c.created_at, c.id)


def load_outcomes(conn: Connection, chosen: SignalFilter) -> OutcomeColumns:
    """The matching signals in the order they closed (open ones last)."""
    dialect = conn.dialect.name
    query = select(*_outcome_columns(dialect)).where(*conditions(chosen, dialect))
    return _outcomes(_transposed(conn.execute(query.order_by(*_CLOSED_ORDER)).all(), _WIDTH))


def load_frame(conn: Connection, chosen: SignalFilter) -> SignalFrame:
    """The matching signals, outcomes and keys, in the order they closed (open ones last).

    The database does the per-row work (result codes, epoch milliseconds, targets reached)
    so that the columns become arrays in C loops, not Python ones.
    """
    return _frame(conn, conditions(chosen, conn.dialect.name))


_CLOSED_ORDER = (signals.c.closed_at.is_(None), signals.c.closed_at, signals.c.id)
_WIDTH = len(fields(OutcomeColumns))


def _each_tag(dialect: str) -> Any:
    """The tags of a signal as a table of `value`s."""
    name = "json_each" if dialect == "sqlite" else "json_array_elements_text"
    return getattr(func, name)(signals.c.tags).table_valued("value")


def _outcome_columns(dialect: str) -> list[ColumnElement[Any]]:
    """The columns of `OutcomeColumns`, each computed by the database."""
    c = signals.c
    reason_targets = case(
        *((c.exit_reason == reason.value, hit) for reason, hit in _TARGETS_HIT.items()),
        else_=-1,
    )
    return [
        case(*((c.result == r.value, code) for r, code in RESULT_CODES.items()), else_=OPEN),
        c.pnl_pct,
        c.r_multiple,
        _epoch_ms(c.created_at, dialect),
        _epoch_ms(c.closed_at, dialect),
        _epoch_ms(c.tp1_hit_at, dialect),
        case((c.exit_reason == ExitReason.SL.value, _epoch_ms(c.closed_at, dialect))),
        case((c.rule.is_not(None), reason_targets), else_=-1),
        func.json_array_length(c.targets),
        c.mfe_pct,
        c.mae_pct,
        case((c.ambiguous.is_(True), 1), else_=0),
    ]


def _outcomes(columns: Sequence[tuple[Any, ...]]) -> OutcomeColumns:
    """`_outcome_columns` as read (one tuple per column) → arrays."""
    result, pnl, r, created, closed, tp1, stop_at, hit, n_targets, mfe, mae, ambiguous = columns
    return OutcomeColumns(
        result=np.array(result, dtype=np.int64),
        pnl_pct=_floats(pnl),
        r_multiple=_floats(r),
        created_ms=_times(created),
        closed_ms=_times(closed),
        tp1_hit_ms=_times(tp1),
        stop_ms=_times(stop_at),
        targets_hit=np.array(hit, dtype=np.int64),
        n_targets=np.array(n_targets, dtype=np.int64),
        mfe_pct=_floats(mfe),
        mae_pct=_floats(mae),
        ambiguous=np.array(ambiguous, dtype=bool),
    )


def _frame(conn: Connection, where: Sequence[ColumnElement[bool]]) -> SignalFrame:
    c, dialect = signals.c, conn.dialect.name
    tags_text = type_coerce(c.tags, String) if dialect == "sqlite" else cast(c.tags, Text)
    keys = (c.symbol, c.timeframe, c.side, c.strategy, c.confidence, tags_text, c.entry, c.sl)
    query = select(*_outcome_columns(dialect), *keys).where(*where).order_by(*_CLOSED_ORDER)
    columns = _transposed(conn.execute(query).all(), _WIDTH + len(keys))
    symbol, timeframe, side, strategy, confidence, tags, entry, stop = columns[_WIDTH:]
    return SignalFrame(
        outcomes=_outcomes(columns[:_WIDTH]),
        symbol=np.array(symbol, dtype=np.str_),
        timeframe=np.array(timeframe, dtype=np.str_),
        side=np.array(side, dtype=np.str_),
        strategy=np.array(strategy, dtype=np.str_),
        confidence=_floats(confidence),
        tags=_decoded_tags(tags),
        entry=_floats(entry),
        stop=_floats(stop),
    )


def _transposed(rows: Sequence[Any], width: int) -> list[tuple[Any, ...]]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _decoded_tags(texts: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Each stored JSON list decoded once (a bot has a handful of distinct ones)."""
    decoded: dict[str, tuple[str, ...]] = {}
    for text in set(texts):
        decoded[text] = tuple(json.loads(text)) if text else ()
    return tuple(decoded[text] for text in texts)


def _epoch_ms(column: Any, dialect: str) -> ColumnElement[Any]:
    """Milliseconds since the epoch, computed by the database (NULL stays NULL)."""
    if dialect == "sqlite":  # naive UTC text; julianday keeps ~50 µs at today's dates
        raw = type_coerce(column, String)
        return cast(func.round((func.julianday(raw) - 2440587.5) * 86_400_000), BigInteger)
    return cast(func.floor(func.extract("epoch", column) * 1000), BigInteger)


def _floats(values: tuple[Any, ...]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array(values, dtype=np.float64)  # None becomes NaN


def _times(values: tuple[Any, ...]) -> np.ndarray[Any, np.dtype[np.int64]]:
    as_float = np.array(values, dtype=np.float64)  # None becomes NaN; ms are exact below 2^53
    return np.where(np.isnan(as_float), NO_TIME, as_float).astype(np.int64)


def listing(
    *,
    status: Status | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    offset: int,
    oldest_first: bool,
) -> Select[Any]:
    """Signals created in [since, until), newest first unless `oldest_first`, paged."""
    order = (signals.c.created_at, signals.c.id)
    query = select(signals).order_by(*(order if oldest_first else (c.desc() for c in order)))
    if status is not None:
        query = query.where(signals.c.status == status.value)
    if since is not None:
        query = query.where(signals.c.created_at >= since)
    if until is not None:
        query = query.where(signals.c.created_at < until)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return query


def closed_between(since: datetime, until: datetime, *, limit: int) -> Select[Any]:
    """The latest `limit` signals closed in [since, until), newest first."""
    return (
        select(signals)
        .where(signals.c.closed_at >= since, signals.c.closed_at < until)
        .order_by(signals.c.closed_at.desc(), signals.c.id.desc())
        .limit(limit)
    )
