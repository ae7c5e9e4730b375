"""Daily rollups: the breakdown sums of each UTC day, so long windows read days, not rows.

A window's whole UTC days are added up from `rollups` (one row per day, dimension and
key); only the partial days at its two ends are counted from the signals. Writers mark
the days whose sums they change (`mark_days`, in their own transaction: the day's version
goes up). A reader first rebuilds, for its dimension only, the days whose built version is
not the day's version (`refresh`), then adds up (`grouped_counts`).

Consistency: a rebuild records the version it read before counting, so a write that
lands during the rebuild leaves the day stale and it is rebuilt next time. Rows written
below the API (a bulk load in SQL) must mark their days too: `mark_all_days`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Executable

from sigtrack.adapters.storage.grouping import (
    TOTAL,
    aggregates,
    counts_of,
    key_expr,
    label,
    merged,
    per_tag,
    tags_text,
    window_counts,
)
from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.tables import rollup_built, rollup_days, rollups, signals
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.signals import Result
from sigtrack.core.stats import ResultCounts

ALL = "all"  # the dimension of the totals (winrate)
# Hour and weekday share the buckets of each UTC quarter hour of the week (migration 0004;
# the dimension was "hour", of UTC hours, before).
QUARTERS = "quarter_hour"
_COLUMNS = ("open", "wins", "losses", "expired", "breakeven", "cancelled",
            "pnl_sum", "pnl_n", "pnl_sq", "r_sum", "r_n", "r_sq")  # fmt: skip
_LOCK_SPACE = 0x5167  # the advisory-lock namespace of adding.py
_LOCK_REFRESH = 1_000  # its key for rollup rebuilds (id allocation uses 0–63)
_MAX_RUN_DAYS = 31  # days rebuilt by one statement


def dimensions() -> tuple[str, ...]:
    """Every dimension the rollups keep."""
    return tuple(dict.fromkeys([ALL, *(dimension(by) for by in BreakdownKey)]))


def refresh_all(conn: Connection) -> int:
    """Rebuild every dimension's stale days, all of them (after a bulk load, or to keep
    the rebuilding off the read path); returns the (dimension, day) pairs rebuilt."""
    first, last = conn.execute(
        select(func.min(rollup_days.c.day), func.max(rollup_days.c.day))
    ).one()
    if first is None:
        return 0
    span = date.fromisoformat(first), date.fromisoformat(last)
    return sum(refresh(conn, dim, *span) for dim in dimensions())


def dimension(by: BreakdownKey | None) -> str:
    if by is None:
        return ALL
    return QUARTERS if by.is_local_time else by.value


def day_of(moment: datetime) -> str:
    """The rollup day of a creation time: its UTC date."""
    return moment.astimezone(UTC).date().isoformat()


def whole_days(since: datetime, until: datetime) -> tuple[date, date] | None:
    """The first and last UTC day lying entirely inside [since, until), if any."""
    first = since.astimezone(UTC).date()
    if datetime.combine(first, time(0), tzinfo=UTC) < since:
        first += timedelta(days=1)
    end = until.astimezone(UTC).date()  # the day `until` falls in is never whole
    last = end - timedelta(days=1)
    return (first, last) if first <= last else None


# --- writers --------------------------------------------------------------------------


def _mark_sqlite() -> Executable:
    """Insert {day, version: 1}, or add one to the stored version (the 1 inline, so that
    the raw path binds only the row's own values)."""
    bump = {"version": rollup_days.c.version + literal_column("1")}
    return sqlite.insert(rollup_days).on_conflict_do_update(index_elements=["day"], set_=bump)


_MARK_POSTGRES = (
    "INSERT INTO rollup_days (day, version) VALUES (%s, 1) "
    "ON CONFLICT (day) DO UPDATE SET version = rollup_days.version + 1"
)


def mark_days(conn: Connection, days: Iterable[str], raw: RawSql | None = None) -> None:
    """Bump the version of each day (in the caller's write transaction). Days go in
    order, so two writers never wait on each other in a cycle."""
    rows = [{"day": day, "version": 1} for day in sorted(set(days))]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # On the driver's cursor: SQLAlchemy's execution path would double the cost of a
        # `track` on PostgreSQL's side of this statement (text and ints need no casts).
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with RawSql(conn.dialect).as_sqlalchemy_errors(_MARK_POSTGRES):
                cursor.executemany(_MARK_POSTGRES, [(row["day"],) for row in rows])
        finally:
            cursor.close()
        return
    (raw or RawSql(conn.dialect)).executemany(conn, "mark_rollup_day", _mark_sqlite, rows)


def mark_all_days(conn: Connection) -> int:
    """Mark every day that holds signals or rollups (after writing or deleting rows below
    the API); returns how many days were marked."""
    day = _day_expr(conn.dialect.name)
    days = {str(row[0]) for row in conn.execute(select(day).distinct())}
    days |= {str(row[0]) for row in conn.execute(select(rollup_days.c.day))}
    mark_days(conn, days)
    return len(days)


def rebuild_all(conn: Connection) -> int:
    """Every day marked and rebuilt, in the caller's transaction; returns the days."""
    days = mark_all_days(conn)
    refresh_all(conn)
    return days


# --- readers --------------------------------------------------------------------------


def stale_days(conn: Connection, dim: str, first: date, last: date) -> list[tuple[str, int]]:
    """(day, version) of the marked days in [first, last] whose `dim` rows are not built
    from their current version."""
    d, b = rollup_days, rollup_built
    query = (
        select(d.c.day, d.c.version)
        .select_from(d.outerjoin(b, and_(b.c.day == d.c.day, b.c.dim == dim)))
        .where(d.c.day >= first.isoformat(), d.c.day <= last.isoformat())
        .where((b.c.version.is_(None)) | (b.c.version != d.c.version))
        .order_by(d.c.day)
    )
    return [(str(day), int(version)) for day, version in conn.execute(query)]


def refresh(conn: Connection, dim: str, first: date, last: date) -> int:
    """Rebuild the stale days of `dim` in [first, last] (in a write transaction); returns
    how many days were rebuilt."""
    if conn.dialect.name == "postgresql":  # one rebuilder at a time; the others then see fresh days
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": _LOCK_SPACE, "key": _LOCK_REFRESH},
        )
    stale = stale_days(conn, dim, first, last)
    if not stale:
        return 0
    versions = dict(stale)
    days = list(versions)
    for start in range(0, len(days), 500):
        chunk = days[start : start + 500]
        conn.execute(delete(rollups).where(rollups.c.dim == dim, rollups.c.day.in_(chunk)))
        conn.execute(
            delete(rollup_built).where(rollup_built.c.dim == dim, rollup_built.c.day.in_(chunk))
        )
    rows: list[dict[str, Any]] = []
    for run_first, run_last in _runs(days):
        rows += _day_rows(conn, dim, run_first, run_last, versions)
    if rows:
        conn.execute(insert(rollups), rows)
    conn.execute(insert(rollup_built), [{"dim": dim, "day": day, "version": v} for day, v in stale])
    return len(stale)


def grouped_counts(
    conn: Connection,
    by: BreakdownKey | None,
    since: datetime,
    until: datetime,
) -> dict[Any, ResultCounts]:
    """`window_counts` of [since, until), its whole UTC days read
    from the rollups (fresh for this dimension: call `refresh` first)."""
    span = whole_days(since, until)
    if span is None:
        return window_counts(conn, by, since, until)
    first, last = span
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    groups = _rollup_counts(conn, by, first, last)
    parts = [window_counts(conn, by, since, start)] if since < start else []
    if end < until:
        parts.append(window_counts(conn, by, end, until))
    return merged(pair for part in (groups, *parts) for pair in part.items())


def _rollup_counts(
    conn: Connection, by: BreakdownKey | None, first: date, last: date
) -> dict[Any, ResultCounts]:
    r = rollups.c
    query = (
        select(r.key, *(func.sum(r[name]) for name in _COLUMNS))
        .where(r.dim == dimension(by), r.day >= first.isoformat(), r.day <= last.isoformat())
        .group_by(r.key)
    )
    keyed = by is not None and by is not BreakdownKey.TAG
    return merged(
        (label(by, row[0]) if keyed else row[0], counts_of(row[1:]))  # type: ignore[arg-type]
        for row in conn.execute(query)
    )


# --- building -------------------------------------------------------------------------


def _day_expr(dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":  # naive UTC text 'YYYY-MM-DD HH:MM:SS…'
        return func.substr(type_coerce(signals.c.created_at, String), 1, 10)
    return func.to_char(func.timezone("UTC", signals.c.created_at), literal("YYYY-MM-DD"))


def _runs(days: list[str]) -> list[tuple[date, date]]:
    """Sorted days → runs of consecutive days, at most _MAX_RUN_DAYS long."""
    runs: list[tuple[date, date]] = []
    for day in (date.fromisoformat(d) for d in days):
        if runs:
            run_first, run_last = runs[-1]
            if day == run_last + timedelta(days=1) and (day - run_first).days < _MAX_RUN_DAYS:
                runs[-1] = (run_first, day)
                continue
        runs.append((day, day))
    return runs


def _day_rows(
    conn: Connection, dim: str, first: date, last: date, versions: dict[str, int]
) -> list[dict[str, Any]]:
    """The rollup rows of `dim` for the days of [first, last] that are being rebuilt."""
    dialect = conn.dialect.name
    since = datetime.combine(first, time(0), tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    day = _day_expr(dialect)
    if dim == ALL:
        key: ColumnElement[Any] = literal(TOTAL)
    elif dim == BreakdownKey.TAG.value:
        key = tags_text(dialect)
    else:
        by = BreakdownKey.HOUR if dim == QUARTERS else BreakdownKey(dim)
        key = key_expr(by, dialect)
    query = (
        select(day, key, *aggregates())
        .where(signals.c.created_at >= since, signals.c.created_at < until)
        .group_by(day, key)
    )
    per_day: dict[str, list[tuple[Any, ResultCounts]]] = {}
    for row in conn.execute(query):
        if row[0] in versions:
            per_day.setdefault(row[0], []).append((row[1], counts_of(row[2:])))
    rows = []
    for day_text, groups in per_day.items():
        counted = per_tag(groups) if dim == BreakdownKey.TAG.value else dict(groups)
        for group_key, counts in counted.items():
            rows.append({"dim": dim, "day": day_text, "key": str(group_key), **_values(counts)})
    return rows


def _values(counts: ResultCounts) -> dict[str, Any]:
    get = counts.by_result.get
    return {
        "open": counts.open,
        "wins": get(Result.WIN, 0),
        "losses": get(Result.LOSS, 0),
        "expired": get(Result.EXPIRED, 0),
        "breakeven": get(Result.BREAKEVEN, 0),
        "cancelled": get(Result.CANCELLED, 0),
        "pnl_sum": counts.pnl_sum_pct,
        "pnl_n": counts.pnl_count,
        "pnl_sq": counts.pnl_sq,
        "r_sum": counts.r_sum,
        "r_n": counts.r_count,
        "r_sq": counts.r_sq,
    }
