"""Counts per group in one SQL aggregate (the breakdowns of DESIGN §4), straight from the
signals table. Long windows add up daily rollups instead (`rollups.py`), and come here
only for the partial days at their ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Text,
    cast,
    extract,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from sigtrack.adapters.storage.tables import signals
from sigtrack.core.breakdowns import CONFIDENCE_BAND, NONE, BreakdownKey, confidence_band
from sigtrack.core.signals import Result, Status
from sigtrack.core.stats import ResultCounts

OUTCOMES = list(Result)
TOTAL = ""  # the one key of the totals (no breakdown)


def window_counts(
    conn: Connection,
    by: BreakdownKey | None,
    since: datetime,
    until: datetime,
) -> dict[Any, ResultCounts]:
    """Counts per key of the signals created in [since, until) (every window read is
    half-open); `by=None` gives the totals under the key `TOTAL`.

    Keys are strings, except for the local-time breakdowns (hour, weekday): there the
    key is the UTC quarter hour of the week (`quarter_of_week`, an int) and the caller
    places it in its zone.
    """
    created = signals.c.created_at
    window = (created >= since) & (created < until)
    if by is None:
        return {TOTAL: counts_of(conn.execute(select(*aggregates()).where(window)).one())}
    if by is BreakdownKey.TAG:
        tags = tags_text(conn.dialect.name)
        query = select(tags, *aggregates()).where(window).group_by(tags)
        return per_tag((row[0], counts_of(row[1:])) for row in conn.execute(query))
    key = key_expr(by, conn.dialect.name)
    query = select(key.label("key"), *aggregates()).where(window).group_by(key)
    return merged((label(by, row[0]), counts_of(row[1:])) for row in conn.execute(query))


def merged(pairs: Iterable[tuple[Any, ResultCounts]]) -> dict[Any, ResultCounts]:
    """(key, counts) pairs → counts per key, added up where keys repeat (confidence 100
    and 95 are one band)."""
    found: dict[Any, ResultCounts] = {}
    for key, counts in pairs:
        total = found.get(key)
        found[key] = counts if total is None else total + counts
    return found


def aggregates() -> list[ColumnElement[Any]]:
    """open, a count per result, then sum / count / sum of squares of PnL % and of R over
    the closed signals (cancelled ones excepted)."""
    status, result = signals.c.status, signals.c.result
    pnl, r = signals.c.pnl_pct, signals.c.r_multiple
    counted = (status == Status.CLOSED.value) & (result != Result.CANCELLED.value)
    return [
        func.count().filter(status == Status.ACTIVE.value),
        *(func.count().filter(result == outcome.value) for outcome in OUTCOMES),
        func.sum(pnl).filter(counted),
        func.count(pnl).filter(counted),
        func.sum(pnl * pnl).filter(counted),
        func.sum(r).filter(counted),
        func.count(r).filter(counted),
        func.sum(r * r).filter(counted),
    ]


def counts_of(values: Sequence[Any]) -> ResultCounts:
    """`aggregates()` of one group (or a rollup row's same columns) as counts."""
    open_count, *by_result, pnl_sum, pnl_n, pnl_sq, r_sum, r_n, r_sq = values
    return ResultCounts(
        open=int(open_count or 0),
        by_result={o: int(n) for o, n in zip(OUTCOMES, by_result, strict=True) if n},
        pnl_sum_pct=float(pnl_sum or 0.0),
        pnl_count=int(pnl_n or 0),
        pnl_sq=float(pnl_sq or 0.0),
        r_sum=float(r_sum or 0.0),
        r_count=int(r_n or 0),
        r_sq=float(r_sq or 0.0),
    )


def key_expr(by: BreakdownKey, dialect: str) -> ColumnElement[Any]:
    """The group key in SQL, for every key but the tag (see `tags_text`)."""
    if by is BreakdownKey.CONFIDENCE:
        ratio = signals.c.confidence / CONFIDENCE_BAND
        # a cast truncates on SQLite (floor, as confidence >= 0) but rounds on PostgreSQL
        low = cast(ratio, Integer) if dialect == "sqlite" else cast(func.floor(ratio), Integer)
        return func.coalesce(low * CONFIDENCE_BAND, literal(-1))
    if by.is_local_time:
        return quarter_of_week(dialect)
    return signals.c[by.value]


def quarter_of_week(dialect: str) -> ColumnElement[Any]:
    """The UTC quarter hour of the week a signal was created in, as the minute of the week
    it starts at (Monday 00:00 UTC = 0, then 15, 30 … 10,065). Every zone's offset since
    1972 is whole quarter hours, so a quarter lies in one local hour and one weekday."""
    if dialect == "sqlite":  # naive UTC text 'YYYY-MM-DD HH:MM:SS…'; %w: Sunday = 0
        created = type_coerce(signals.c.created_at, String)
        weekday = (cast(func.strftime("%w", created), Integer) + 6) % 7
        hour = cast(func.substr(created, 12, 2), Integer)
        minute = cast(func.substr(created, 15, 2), Integer)
    else:
        utc = func.timezone("UTC", signals.c.created_at)
        weekday = cast(extract("isodow", utc), Integer) - 1  # ISO: Monday = 1
        hour, minute = cast(extract("hour", utc), Integer), cast(extract("minute", utc), Integer)
    return weekday * 1440 + hour * 60 + minute // 15 * 15


def tags_text(dialect: str) -> ColumnElement[Any]:
    """The stored tags as JSON text: signals are grouped by their whole tag list (a bot
    has a handful), and each list's counts go to each of its tags (`per_tag`)."""
    if dialect == "sqlite":
        return type_coerce(signals.c.tags, String)
    return cast(signals.c.tags, Text)  # PostgreSQL's json has no equality; its text does


def per_tag(groups: Any) -> dict[str, ResultCounts]:
    """(tags JSON text, counts) pairs → counts per tag; signals without a tag under NONE."""
    merged: dict[str, ResultCounts] = {}
    decoded: dict[str, list[str]] = {}
    for text, counts in groups:
        tags = decoded.get(text)
        if tags is None:
            tags = decoded[text] = list(dict.fromkeys(json.loads(text))) if text else []
        for tag in tags or [NONE]:
            total = merged.get(tag)
            merged[tag] = counts if total is None else total + counts
    return merged


def label(by: BreakdownKey, key: Any) -> Any:
    """A key as SQL returns it → the key of the breakdown (or the UTC quarter of the week)."""
    if by is BreakdownKey.CONFIDENCE:
        low = None if key is None else int(key)
        return confidence_band(None if low is None or low < 0 else low)
    if by.is_local_time:
        return int(key)
    return str(key)
