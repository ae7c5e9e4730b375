"""The JSON shapes every interface prints (CLI `--json`, later the HTTP API)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sigtrack.core.records import (
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.stats import WinrateSummary

Json = dict[str, Any]


def iso(moment: datetime | None, zone: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def record_json(record: SignalRecord, zone: tzinfo) -> Json:
    s, c = record.signal, record.closing
    return {
        "signal_id": record.signal_id,
        "symbol": s.symbol,
        "side": s.side.value,
        "timeframe": s.timeframe.value,
        "entry": s.entry,
        "tp1": s.tp1,
        "tp2": s.tp2,
        "targets": list(s.targets),
        "sl": s.stop,
        "status": record.status.value,
        "result": c.result.value if c else None,
        "exit_reason": c.exit_reason.value if c else None,
        "pnl_pct": c.pnl_pct if c else None,
        "created_at": iso(s.created_at, zone),
        "closed_at": iso(c.closed_at, zone) if c else None,
        "confidence": s.confidence,
        "reasons": list(s.reasons),
        "tags": list(s.tags),
        "strategy": s.strategy,
        "source": s.source,
        "user_id": s.user_id,
        "receivers": list(s.receivers),
        "exchange": s.exchange,
        "market": s.market,
    }


def event_json(event: SignalEvent, zone: tzinfo) -> Json:
    return {
        "kind": event.kind.value,
        "at": iso(event.at, zone),
        "actor": event.actor,
        "note": event.note,
        "data": dict(event.data),
    }


def winrate_json(summary: WinrateSummary, zone: tzinfo) -> Json:
    interval = summary.interval_pct
    return {
        "days": summary.days,
        "since": iso(summary.since, zone),
        "until": iso(summary.until, zone),
        "total": summary.total,
        "wins": summary.wins,
        "losses": summary.losses,
        "expired": summary.expired,
        "breakeven": summary.breakeven,
        "cancelled": summary.cancelled,
        "open": summary.open,
        "winrate_pct": summary.winrate_pct,
        "winrate_interval_pct": list(interval) if interval else None,
        "strict_winrate_pct": None
        if summary.strict_winrate is None
        else summary.strict_winrate * 100,
        "avg_pnl_pct": summary.avg_pnl_pct,
    }
