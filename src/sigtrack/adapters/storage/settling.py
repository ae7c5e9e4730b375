"""Writing what settling learned: progress for open signals, the closing for closed ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sigtrack.adapters.storage.rollups import day_of, mark_days
from sigtrack.adapters.storage.tables import signal_events, signals
from sigtrack.core.outcomes import Outcome
from sigtrack.core.signals import Status
from sigtrack.services.ports import SettleUpdate


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
