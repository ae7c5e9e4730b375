"""The commands log (`activity`): inserted in the caller's transaction, optionally
deduplicated by a hash of the whole entry (an import repeated adds nothing), read in order."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Executable

from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.tables import activity
from sigtrack.core.records import Activity


def insert_activity(
    conn: Connection, raw: RawSql, items: Sequence[Activity], *, dedupe: bool = False
) -> int:
    """Insert `items`; with `dedupe` an entry already stored is skipped. Returns how many
    were inserted — from the statement itself: a count of the table would cost O(rows) per
    logged command and see other sessions' rows on PostgreSQL."""
    rows = [_row(a, _key(a) if dedupe else None) for a in items]
    if not dedupe:
        raw.executemany(conn, "activity_insert", _insert, rows)
        return len(rows)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(activity)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(activity.c.id)
    )
    return len(conn.execute(statement, rows).all())


def read_activity(
    conn: Connection, *, since: datetime | None, until: datetime | None, batch: int
) -> Iterator[Activity]:
    query = select(activity).order_by(activity.c.at, activity.c.id)
    if since is not None:
        query = query.where(activity.c.at >= since)
    if until is not None:
        query = query.where(activity.c.at < until)
    for row in conn.execution_options(yield_per=batch).execute(query).mappings():
        yield Activity(
            at=row["at"], user_id=row["user_id"], username=row["username"],
            command=row["command"], symbol=row["symbol"], timeframe=row["timeframe"],
        )  # fmt: skip


def _insert() -> Executable:
    return insert(activity)


def _row(a: Activity, key: str | None) -> dict[str, Any]:
    return {"at": a.at, "user_id": a.user_id, "username": a.username, "command": a.command,
            "symbol": a.symbol, "timeframe": a.timeframe, "dedupe_key": key}  # fmt: skip


def _key(a: Activity) -> str:
    text = json.dumps(
        [a.at.isoformat(), a.user_id, a.username, a.command, a.symbol, a.timeframe],
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()
