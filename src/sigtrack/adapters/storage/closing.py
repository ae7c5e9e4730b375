"""Closing a signal in the caller's transaction: the row's new outcome and its event, a
close that lost the race to another outcome kept as a REFUSED event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.sql.expression import Executable

from sigtrack.adapters.storage import rollups
from sigtrack.adapters.storage.bulk import closing_event_data, closing_kind
from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.rows import Row, record_from_row
from sigtrack.adapters.storage.tables import deliveries, signal_events, signals
from sigtrack.core.errors import SignalAlreadyClosed, SignalNotFound
from sigtrack.core.records import Closing, SignalRecord
from sigtrack.core.signals import EventKind, Status


def close_signal(
    conn: Connection,
    raw: RawSql,
    signal_id: str,
    closing: Closing,
    *,
    actor: str,
    note: str | None,
    override: bool,
    now: datetime,
) -> SignalRecord:
    """Close `signal_id` (an already closed one only with `override`); the signal as it
    reads afterwards."""
    if conn.dialect.name == "postgresql":  # two closes at once: the second waits, then
        # reads the first's outcome (SQLite's writers take turns anyway)
        conn.execute(select(signals.c.id).where(signals.c.signal_id == signal_id)
                     .with_for_update())  # fmt: skip
    found = raw.execute(conn, "signal_by_id", _signal_by_id, {"signal_id": signal_id})
    if not found:
        raise SignalNotFound(signal_id)
    row = found[0]
    if row["status"] == Status.CLOSED and not override:
        raise SignalAlreadyClosed(signal_id, row["result"])
    apply_closing(conn, raw, row, closing, actor=actor, note=note, now=now)
    rollups.mark_days(conn, [rollups.day_of(row["created_at"])], raw)
    receivers = raw.execute(conn, "receivers_of", _receivers_of, {"pk": row["id"]})
    return record_from_row(closed_row(row, closing), [r["user_id"] for r in receivers])


def record_lost_close(
    conn: Connection,
    raw: RawSql,
    signal_id: str,
    closing: Closing,
    *,
    actor: str,
    note: str | None,
    now: datetime,
) -> None:
    """After a close was refused because the signal is closed: its REFUSED event."""
    found = raw.execute(conn, "signal_by_id", _signal_by_id, {"signal_id": signal_id})
    if found and found[0]["status"] == Status.CLOSED:
        record_refused(conn, raw, found[0], closing, actor=actor, note=note, now=now)


def _update_closing() -> Executable:
    return (
        update(signals)
        .where(signals.c.id == bindparam("pk"))
        .values(
            status=bindparam("new_status", type_=signals.c.status.type),
            result=bindparam("new_result", type_=signals.c.result.type),
            exit_reason=bindparam("new_exit_reason", type_=signals.c.exit_reason.type),
            pnl_pct=bindparam("new_pnl_pct", type_=signals.c.pnl_pct.type),
            closed_at=bindparam("new_closed_at", type_=signals.c.closed_at.type),
        )
    )


def closed_row(row: Row, closing: Closing) -> dict[str, Any]:
    """The stored row as it reads after `closing`."""
    return dict(row) | {
        "status": Status.CLOSED.value,
        "result": closing.result.value,
        "exit_reason": closing.exit_reason.value,
        "pnl_pct": closing.pnl_pct,
        "closed_at": closing.closed_at,
    }


def apply_closing(
    conn: Connection,
    raw: RawSql,
    row: Row,
    closing: Closing,
    *,
    actor: str,
    note: str | None,
    now: datetime,
) -> None:
    was_closed = row["status"] == Status.CLOSED
    new = closed_row(row, closing)
    values = {
        f"new_{k}": new[k] for k in ("status", "result", "exit_reason", "pnl_pct", "closed_at")
    }
    raw.execute(conn, "update_closing", _update_closing, {"pk": row["id"], **values})
    if was_closed:
        kind = EventKind.OVERRIDE
        extra = {"old_result": row["result"], "old_pnl_pct": row["pnl_pct"]}
    else:
        kind, extra = closing_kind(closing), {}
    event = closing_event(row["id"], closing, kind, actor=actor, note=note, now=now, extra=extra)
    raw.executemany(conn, "insert_events", lambda: insert(signal_events), [event])


def record_refused(
    conn: Connection,
    raw: RawSql,
    row: Row,
    closing: Closing,
    *,
    actor: str,
    note: str | None,
    now: datetime,
) -> None:
    """A close or cancel that lost the race to another outcome (the monitor's, another
    hand's): the history keeps the attempt; the signal keeps its outcome."""
    extra = {"kept_result": row["result"], "kept_pnl_pct": row["pnl_pct"]}
    event = closing_event(row["id"], closing, EventKind.REFUSED, actor=actor, note=note,
                           now=now, extra=extra)  # fmt: skip
    raw.executemany(conn, "insert_events", lambda: insert(signal_events), [event])


def closing_event(
    pk: int,
    closing: Closing,
    kind: EventKind,
    *,
    actor: str,
    note: str | None,
    now: datetime,
    extra: dict[str, Any],
) -> dict[str, Any]:
    data = closing_event_data(closing, extra)
    return {"signal_pk": pk, "kind": kind.value, "at": now, "actor": actor, "note": note,
            "data": data}  # fmt: skip


def _signal_by_id() -> Executable:
    return select(signals).where(signals.c.signal_id == bindparam("signal_id"))


def _receivers_of() -> Executable:
    return (
        select(deliveries.c.user_id)
        .where(deliveries.c.signal_pk == bindparam("pk"))
        .order_by(deliveries.c.position)
    )
