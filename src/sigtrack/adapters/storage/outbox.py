"""The announcements outbox: TP hits and closes queued by the pass that stored them, then
claimed, sent and marked by the bot, each event once (DESIGN §6).

A pass that announces queues its events in its own write transaction, so an event is in
the outbox if and only if it is stored. Claims lease their rows: a row left SENDING
past its lease (the sender died before marking it) is claimed again, flagged as
`reclaimed` because the post may already have gone out. On PostgreSQL the claims lock
their rows with `FOR UPDATE SKIP LOCKED`, so that two senders never claim one row; on
SQLite the store's write transaction (`BEGIN IMMEDIATE`) serialises them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from sigtrack.adapters.storage.settling import save_settled
from sigtrack.adapters.storage.tables import outbox, signal_events, signals
from sigtrack.adapters.storage.types import UtcDateTime
from sigtrack.core.bot_records import Announcement, OutboxCounts, OutboxState
from sigtrack.core.errors import InvalidInput
from sigtrack.core.signals import EventKind, Side
from sigtrack.services.ports import SettledRows

ANNOUNCED = (EventKind.TP_HIT.value, EventKind.CLOSED.value)
KEEP_FINISHED = timedelta(days=30)  # sent / expired / failed rows kept this long
ERROR_CHARS = 500  # of a failed send's error, kept in last_error

_PENDING, _SENDING = OutboxState.PENDING.value, OutboxState.SENDING.value
_FINISHED = (OutboxState.SENT.value, OutboxState.EXPIRED.value, OutboxState.FAILED.value)


def save_and_queue(
    conn: Connection, settled: SettledRows, *, now: datetime
) -> npt.NDArray[np.bool_]:
    """`save_settled`, and queue every TP hit and close it wrote, in the caller's
    transaction. The events written are those after the newest id before the write, of
    the pass's actor; an event already queued (by a concurrent pass on PostgreSQL, which
    may commit between the two statements) is left as it is."""
    events = signal_events.c
    before = conn.execute(select(func.coalesce(func.max(events.id), 0))).scalar_one()
    written = save_settled(conn, settled)
    if not np.any(written):
        return written
    new = select(events.id, literal(_PENDING), literal(0), literal(now, UtcDateTime)).where(
        events.id > before, events.kind.in_(ANNOUNCED), events.actor == settled.actor
    )
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(outbox)
        .from_select(["event_id", "state", "attempts", "queued_at"], new)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return written


def claim(
    conn: Connection, *, now: datetime, limit: int, lease_s: float, max_age_s: float
) -> list[Announcement]:
    """Expire stale news, prune old finished rows, then claim up to `limit` rows, oldest
    first: the pending ones and those SENDING past their lease."""
    for name, value in (("limit", limit), ("lease_s", lease_s), ("max_age_s", max_age_s)):
        if not value > 0:
            raise InvalidInput(name, f"must be > 0 (got {value!r})")
    # pending rows joined to their events by key: the events' times have no index
    stale = outbox.join(signal_events, signal_events.c.id == outbox.c.event_id)
    expiring = _ids(
        conn,
        select(outbox.c.id)
        .select_from(stale)
        .where(
            outbox.c.state == _PENDING,
            signal_events.c.at < now - timedelta(seconds=max_age_s),
        ),
    )
    if expiring:
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(expiring))
            .values(state=OutboxState.EXPIRED.value, finished_at=now)
        )
    old = _ids(
        conn,
        select(outbox.c.id).where(
            outbox.c.state.in_(_FINISHED), outbox.c.finished_at < now - KEEP_FINISHED
        ),
    )
    if old:
        conn.execute(outbox.delete().where(outbox.c.id.in_(old)))
    due = outbox.c.state.in_((_PENDING, _SENDING)) & (
        (outbox.c.state == _PENDING) | (outbox.c.claimed_at < now - timedelta(seconds=lease_s))
    )
    rows = conn.execute(_locked(conn, _claimable(due).limit(limit))).mappings().all()
    if not rows:
        return []
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([row["outbox_id"] for row in rows]))
        .values(state=_SENDING, claimed_at=now, attempts=outbox.c.attempts + 1)
    )
    return [_announcement(row) for row in rows]


def _claimable(due: ColumnElement[bool]) -> Select[Any]:
    e, s = signal_events.c, signals.c
    return (
        select(
            outbox.c.id.label("outbox_id"),
            outbox.c.event_id,
            outbox.c.state,
            outbox.c.attempts,
            e.kind,
            e.at,
            e.data,
            s.signal_id,
            s.symbol,
            s.side,
            s.timeframe,
            s.entry,
            s.created_at,
        )
        .select_from(
            outbox.join(signal_events, e.id == outbox.c.event_id).join(signals, s.id == e.signal_pk)
        )
        .where(due)
        .order_by(outbox.c.id)
    )


def _locked(conn: Connection, query: Select[Any]) -> Select[Any]:
    """On PostgreSQL, the outbox rows locked, skipping those another claim holds."""
    if conn.dialect.name != "postgresql":
        return query  # the write transaction holds the database's lock
    return query.with_for_update(skip_locked=True, of=outbox)


def _ids(conn: Connection, query: Select[Any]) -> list[int]:
    return list(conn.execute(_locked(conn, query)).scalars())


def _announcement(row: Any) -> Announcement:
    return Announcement(
        outbox_id=row["outbox_id"],
        event_id=row["event_id"],
        signal_id=row["signal_id"],
        kind=EventKind(row["kind"]),
        at=row["at"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        timeframe=row["timeframe"],
        entry=row["entry"],
        created_at=row["created_at"],
        data=dict(row["data"] or {}),
        attempts=row["attempts"] + 1,
        reclaimed=row["state"] == _SENDING,
    )


def finish(
    conn: Connection,
    outbox_id: int,
    *,
    now: datetime,
    sent: bool,
    error: str | None,
    max_attempts: int,
) -> OutboxState:
    """Mark a claimed row: SENT, or PENDING to be retried, or FAILED after `max_attempts`
    claims. A row already SENT stays so (another claim posted it); a row already EXPIRED
    or FAILED stays so unless this send went out."""
    query = select(outbox.c.state, outbox.c.attempts).where(outbox.c.id == outbox_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = conn.execute(query).first()
    if found is None:
        raise InvalidInput("outbox_id", f"no announcement with id {outbox_id!r}")
    current, attempts = OutboxState(found[0]), int(found[1])
    if current is OutboxState.SENT or (not sent and current.value in _FINISHED):
        return current
    if sent:
        state = OutboxState.SENT
    else:
        state = OutboxState.FAILED if attempts >= max_attempts else OutboxState.PENDING
    values: dict[str, Any] = {"state": state.value}
    if state is not OutboxState.PENDING:
        values["finished_at"] = now
    if error is not None:
        values["last_error"] = error[:ERROR_CHARS]
    conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(**values))
    return state


def counts(conn: Connection) -> OutboxCounts:
    query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
    return OutboxCounts(by_state={OutboxState(state): int(n) for state, n in conn.execute(query)})
