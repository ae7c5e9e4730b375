"""Journaled operations applied in the caller's transaction, each marked by its op id in
`journal_applied` in that same transaction: an id already marked is not applied again, so a
replay after a crash mid-replay applies nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from sigtrack.adapters.storage.activity_log import insert_activity
from sigtrack.adapters.storage.adding import add_signals
from sigtrack.adapters.storage.closing import close_signal
from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.tables import journal_applied
from sigtrack.core.journal import ALREADY_APPLIED, APPLIED, JournalEntry, OpKind
from sigtrack.services.ports import NewSignal


def apply_entry(conn: Connection, raw: RawSql, entry: JournalEntry, now: datetime) -> str:
    """Apply `entry` at its own time unless its id is marked; APPLIED or ALREADY_APPLIED."""
    if not mark_applied(conn, entry.op_id, APPLIED, now):
        return ALREADY_APPLIED
    at = entry.at
    if entry.kind is OpKind.TRACK:
        items = [NewSignal(signal=s, actor=entry.actor) for s in entry.signals]
        add_signals(conn, raw, items, now=at, on_conflict="raise")
    elif entry.kind is OpKind.ACTIVITY:
        insert_activity(conn, raw, entry.activity)
    else:
        assert entry.signal_id is not None and entry.closing is not None
        close_signal(conn, raw, entry.signal_id, entry.closing, actor=entry.actor,
                     note=entry.note, override=entry.override, now=at)  # fmt: skip
    return APPLIED


def mark_applied(conn: Connection, op_id: str, outcome: str, now: datetime) -> bool:
    """Mark `op_id` with its outcome; False when it was marked already."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(journal_applied)
        .values(op_id=op_id, applied_at=now, outcome=outcome)
        .on_conflict_do_nothing(index_elements=["op_id"])
        .returning(journal_applied.c.op_id)
    )
    return conn.execute(statement).first() is not None
