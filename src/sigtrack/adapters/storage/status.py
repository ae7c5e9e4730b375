"""The store at a glance: the settling passes of the last days, and a few counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, ScalarSelect, func, insert, select
from sqlalchemy.sql.elements import ColumnElement

from sigtrack.adapters.storage.tables import activity, settling_passes, signals
from sigtrack.core.bot_records import PassRecord, StoreCounts
from sigtrack.core.signals import Status

KEEP_PASSES = timedelta(days=7)  # passes older than this before the newest are deleted
_PASS_FIELDS = ("at", "source", "checked", "symbols", "closed", "tp_hits", "wins", "losses",
                "expired", "failures", "elapsed_s")  # fmt: skip


def record_pass(conn: Connection, record: PassRecord) -> None:
    """Insert the pass, and delete those more than `KEEP_PASSES` older (a monitor runs a
    pass a minute: a week is about 10,000 rows)."""
    conn.execute(insert(settling_passes).values({f: getattr(record, f) for f in _PASS_FIELDS}))
    conn.execute(settling_passes.delete().where(settling_passes.c.at < record.at - KEEP_PASSES))


def last_pass(conn: Connection) -> PassRecord | None:
    c = settling_passes.c
    query = select(*(c[f] for f in _PASS_FIELDS)).order_by(c.at.desc(), c.id.desc()).limit(1)
    row = conn.execute(query).mappings().first()
    return None if row is None else PassRecord(**{f: row[f] for f in _PASS_FIELDS})


def store_counts(conn: Connection, *, since: datetime) -> StoreCounts:
    """Each count its own subquery, so that each reads an index (status, created_at),
    not the whole signals table."""

    def count(where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(signals).where(where).scalar_subquery()

    query = select(
        count(signals.c.status == Status.ACTIVE.value),
        count(signals.c.status == Status.CLOSED.value),
        count(signals.c.created_at >= since),
        select(func.count()).select_from(activity).scalar_subquery(),
    )
    opened, closed, recent, commands = conn.execute(query).one()
    return StoreCounts(open=int(opened), closed=int(closed), since=int(recent),
                       commands=int(commands))  # fmt: skip
