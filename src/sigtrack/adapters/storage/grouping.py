"""Counts per group in one SQL aggregate (the breakdowns of DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Integer, String, cast, func, literal, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from sigtrack.adapters.storage.tables import signals
from sigtrack.core.breakdowns import CONFIDENCE_BAND, NONE, BreakdownKey, confidence_band
from sigtrack.core.signals import Result, Status
from sigtrack.core.stats import ResultCounts

_OUTCOMES = list(Result)


def grouped_counts(
    conn: Connection, by: BreakdownKey, since: datetime, until: datetime
) -> dict[Any, ResultCounts]:
    """Counts per key of the signals created in [since, until).

    Keys are strings, except for the local-time breakdowns (hour, weekday): there the
    key is the UTC hour (an aware datetime) and the caller places it in its zone.
    """
    window = (signals.c.created_at >= since) & (signals.c.created_at < until)
    if by is BreakdownKey.TAG:
        return _tag_counts(conn, window)
    key = _key(by, conn.dialect.name)
    query = select(key.label("key"), *_aggregates()).where(window).group_by(key)
    return {_label(by, row[0]): _counts(row[1:]) for row in conn.execute(query)}


def _aggregates() -> list[ColumnElement[Any]]:
    status, result = signals.c.status, signals.c.result
    pnl, r = signals.c.pnl_pct, signals.c.r_multiple
    counted = (status == Status.CLOSED.value) & (result != Result.CANCELLED.value)
    return [
        func.count().filter(status == Status.ACTIVE.value),
        *(func.count().filter(result == outcome.value) for outcome in _OUTCOMES),
        func.sum(pnl).filter(counted),
        func.count(pnl).filter(counted),
        func.sum(r).filter(counted),
        func.count(r).filter(counted),
    ]


def _counts(values: Any) -> ResultCounts:
    open_count, *by_result, pnl_sum, pnl_n, r_sum, r_n = values
    return ResultCounts(
        open=open_count,
        by_result={o: n for o, n in zip(_OUTCOMES, by_result, strict=True) if n},
        pnl_sum_pct=pnl_sum or 0.0,
        pnl_count=pnl_n,
        r_sum=r_sum or 0.0,
        r_count=r_n,
    )


def _key(by: BreakdownKey, dialect: str) -> ColumnElement[Any]:
    if by is BreakdownKey.CONFIDENCE:
        ratio = signals.c.confidence / CONFIDENCE_BAND
        # a cast truncates on SQLite (floor, as confidence >= 0) but rounds on PostgreSQL
        low = cast(ratio, Integer) if dialect == "sqlite" else cast(func.floor(ratio), Integer)
        return func.coalesce(low * CONFIDENCE_BAND, literal(-1))
    if by.is_local_time:
        if dialect == "sqlite":  # naive UTC text 'YYYY-MM-DD HH:MM:SS…'
            return func.substr(type_coerce(signals.c.created_at, String), 1, 13)
        return func.to_char(func.timezone("UTC", signals.c.created_at), literal("YYYY-MM-DD HH24"))
    return signals.c[by.value]


def _label(by: BreakdownKey, key: Any) -> Any:
    if by is BreakdownKey.CONFIDENCE:
        return confidence_band(None if key is None or key < 0 else int(key))
    if by.is_local_time:
        return datetime.strptime(str(key), "%Y-%m-%d %H").replace(tzinfo=UTC)
    return str(key)


def _tag_counts(conn: Connection, window: ColumnElement[bool]) -> dict[Any, ResultCounts]:
    if conn.dialect.name == "sqlite":
        each = func.json_each(signals.c.tags).table_valued("value")
        length = func.json_array_length(signals.c.tags)
    else:
        each = func.json_array_elements_text(signals.c.tags).table_valued("value")
        length = func.json_array_length(signals.c.tags)
    tagged = (
        select(each.c.value.label("key"), *_aggregates())
        .select_from(signals)
        .join(each, literal(True))
        .where(window)
        .group_by(each.c.value)
    )
    untagged = select(*_aggregates()).where(window, length == 0)
    groups = {str(row[0]): _counts(row[1:]) for row in conn.execute(tagged)}
    bare = _counts(conn.execute(untagged).one())
    if bare.open or bare.by_result:
        groups[NONE] = bare
    return groups
