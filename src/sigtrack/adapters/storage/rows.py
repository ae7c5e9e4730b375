"""Signals to table rows and back; a signal's events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from sigtrack.adapters.storage.tables import deliveries, signal_events, signals
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import SignalNotFound
from sigtrack.core.outcomes import Outcome
from sigtrack.core.records import Closing, SignalEvent, SignalRecord
from sigtrack.core.signals import (
    EventKind,
    ExitReason,
    Result,
    Side,
    Signal,
    Status,
)
from sigtrack.services.ports import NewSignal


def signal_row(signal_id: str, item: NewSignal, now: datetime) -> dict[str, Any]:
    s, closing = item.signal, item.closing
    return {
        "signal_id": signal_id,
        "user_id": s.user_id,
        "symbol": s.symbol,
        "side": s.side.value,
        "timeframe": s.timeframe.value,
        "entry": s.entry,
        "targets": list(s.targets),
        "sl": s.stop,
        "confidence": s.confidence,
        "reasons": list(s.reasons),
        "tags": list(s.tags),
        "strategy": s.strategy,
        "source": s.source,
        "exchange": s.exchange,
        "market": s.market,
        "created_at": s.created_at,
        "recorded_at": now,
        "status": (Status.CLOSED if closing else Status.ACTIVE).value,
        "result": closing.result.value if closing else None,
        "exit_reason": closing.exit_reason.value if closing else None,
        "pnl_pct": closing.pnl_pct if closing else None,
        "closed_at": closing.closed_at if closing else None,
    }


# A row as SQLAlchemy returns it, or as the raw hot path returns it.
Row = Mapping[str, Any] | RowMapping


def record_from_row(row: Row, receivers: Sequence[int]) -> SignalRecord:
    signal = Signal(
        signal_id=row["signal_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        timeframe=Timeframe(row["timeframe"]),
        entry=row["entry"],
        targets=tuple(row["targets"]),
        stop=row["sl"],
        created_at=row["created_at"],
        confidence=row["confidence"],
        reasons=tuple(row["reasons"]),
        tags=tuple(row["tags"]),
        strategy=row["strategy"],
        source=row["source"],
        receivers=tuple(receivers),
        exchange=row["exchange"],
        market=row["market"],
    )
    closing = None
    if row["status"] == Status.CLOSED:
        closing = Closing(
            result=Result(row["result"]),
            exit_reason=ExitReason(row["exit_reason"]),
            closed_at=row["closed_at"],
            pnl_pct=row["pnl_pct"],
        )
    stored = row.get("outcome")
    return SignalRecord(
        signal_id=row["signal_id"],
        signal=signal,
        status=Status(row["status"]),
        closing=closing,
        outcome=Outcome.from_json(stored) if stored else None,
    )


def load_records(conn: Connection, rows: Sequence[RowMapping]) -> list[SignalRecord]:
    """Rows → records, with every row's receivers fetched in one query."""
    receivers: dict[int, list[int]] = {row["id"]: [] for row in rows}
    if receivers:
        query = (
            select(deliveries.c.signal_pk, deliveries.c.user_id)
            .where(deliveries.c.signal_pk.in_(list(receivers)))
            .order_by(deliveries.c.signal_pk, deliveries.c.position)
        )
        for pk, user_id in conn.execute(query):
            receivers[pk].append(user_id)
    return [record_from_row(row, receivers[row["id"]]) for row in rows]


def read_events(conn: Connection, signal_id: str) -> list[SignalEvent]:
    """The signal's history, oldest first (SignalNotFound for an unknown id)."""
    query = (
        select(signal_events)
        .join(signals, signals.c.id == signal_events.c.signal_pk)
        .where(signals.c.signal_id == signal_id)
        .order_by(signal_events.c.id)
    )
    rows = conn.execute(query).mappings().all()
    if not rows:
        known = select(signals.c.id).where(signals.c.signal_id == signal_id)
        if conn.execute(known).first() is None:
            raise SignalNotFound(signal_id)
    return [
        SignalEvent(
            kind=EventKind(r["kind"]), at=r["at"], actor=r["actor"], note=r["note"],
            data=r["data"],
        )
        for r in rows
    ]  # fmt: skip
