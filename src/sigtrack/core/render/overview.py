"""The dashboard's window (core/overview.py) as JSON: the same numbers, keyed the same, as
`sigtrack stats --json`, `compare --json` and `/winrate`, times in the display zone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from sigtrack.core.open_signals import OpenList, OpenSignalView
from sigtrack.core.overview import Overview
from sigtrack.core.records import SignalRecord
from sigtrack.core.render.breakdown import breakdown_json
from sigtrack.core.render.comparison import performance_json
from sigtrack.core.render.values import Json, iso


def overview_json(view: Overview, zone: tzinfo) -> Json:
    return {
        "since": iso(view.since, zone),
        "until": iso(view.until, zone),
        "days": view.days,
        "zone": str(zone),
        "performance": performance_json(view.performance),
        "equity": [
            {"at": iso(datetime.fromtimestamp(ms / 1000, UTC), zone), "pnl_pct": value}
            for ms, value in view.equity
        ],
        "by_symbol": breakdown_json(view.by_symbol, view.since, view.until, zone),
        "by_confidence": breakdown_json(view.by_confidence, view.since, view.until, zone),
        "open": open_list_json(view.open, zone),
        "recent_closes": [close_json(record, zone) for record in view.recent_closes],
    }


def open_list_json(listed: OpenList, zone: tzinfo) -> Json:
    return {"total": listed.total, "items": [open_view_json(v, zone) for v in listed.views]}


def open_view_json(view: OpenSignalView, zone: tzinfo) -> Json:
    s = view.record.signal
    return {
        "signal_id": view.record.signal_id,
        "symbol": s.symbol,
        "side": s.side.value,
        "timeframe": s.timeframe.value,
        "entry": s.entry,
        "price": view.price,
        "next_target": view.next_target,
        "target_price": view.target_price,
        "stop": view.stop,
        "to_target_pct": view.to_target_pct,
        "to_stop_pct": view.to_stop_pct,
        "age_hours": view.age.total_seconds() / 3600,
        "created_at": iso(s.created_at, zone),
    }


def close_json(record: SignalRecord, zone: tzinfo) -> Json:
    s, c, o = record.signal, record.closing, record.outcome
    return {
        "signal_id": record.signal_id,
        "symbol": s.symbol,
        "side": s.side.value,
        "timeframe": s.timeframe.value,
        "result": c.result.value if c else None,
        "exit_reason": c.exit_reason.value if c else None,
        "pnl_pct": c.pnl_pct if c else None,
        "r_multiple": o.r_multiple if o else None,
        "created_at": iso(s.created_at, zone),
        "closed_at": iso(c.closed_at if c else None, zone),
    }
