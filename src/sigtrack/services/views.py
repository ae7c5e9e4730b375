"""The JSON shapes every interface prints (CLI `--json`, later the HTTP API)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sigtrack.core.advice import Advice
from sigtrack.core.breakdowns import Breakdown, GroupSummary
from sigtrack.core.comparison import Comparison, ComparisonOf, Side
from sigtrack.core.filters import SignalFilter
from sigtrack.core.outcomes import Outcome, ms_to_datetime
from sigtrack.core.performance import Performance
from sigtrack.core.records import (
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.report import WeeklyReport
from sigtrack.core.stats import WinrateSummary
from sigtrack.core.texts import Lang, render_advice_item
from sigtrack.core.whatif import CellResult, WhatIf

Json = dict[str, Any]


def iso(moment: datetime | None, zone: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def record_json(record: SignalRecord, zone: tzinfo) -> Json:
    fields = record.fields()
    return fields | {
        "created_at": iso(fields["created_at"], zone),
        "closed_at": iso(fields["closed_at"], zone),
        **outcome_json(record.outcome, zone),
    }


def outcome_json(outcome: Outcome | None, zone: tzinfo) -> Json:
    """The settling details (all None until a pass has read candles for the signal)."""
    o = outcome
    return {
        "r_multiple": o.r_multiple if o else None,
        "ambiguous": o.is_ambiguous if o else None,
        "rule": o.rule if o else None,
        "mfe_pct": o.mfe_pct if o else None,
        "mae_pct": o.mae_pct if o else None,
        "horizon_mfe_pct": o.horizon_mfe_pct if o else None,
        "horizon_mae_pct": o.horizon_mae_pct if o else None,
        "horizon_complete": o.horizon_complete if o else None,
        "gaps": o.gaps if o else None,
        "settled_through": iso(ms_to_datetime(o.progress.next_ms), zone) if o else None,
        "legs": [
            {
                "target": leg.target,
                "fraction": leg.fraction,
                "hit_at": iso(ms_to_datetime(leg.hit_ms), zone),
                "exit_at": iso(ms_to_datetime(leg.exit_ms), zone),
                "exit_price": leg.exit_price,
            }
            for leg in o.legs
        ]
        if o
        else [],
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


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def _interval_pct(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [interval[0] * 100, interval[1] * 100]


def group_json(row: GroupSummary) -> Json:
    return {
        "key": row.key,
        "n": row.n,
        "wins": row.wins,
        "losses": row.losses,
        "expired": row.expired,
        "breakeven": row.breakeven,
        "open": row.open,
        "winrate_pct": _pct(row.winrate),
        "winrate_interval_pct": _interval_pct(row.interval),
        "avg_pnl_pct": row.avg_pnl_pct,
        "expectancy_r": row.expectancy_r,
        "expectancy_n": row.expectancy_n,
        "too_few": row.is_too_few,
    }


def breakdown_json(result: Breakdown, since: datetime, until: datetime, zone: tzinfo) -> Json:
    return {
        "by": result.by.value,
        "since": iso(since, zone),
        "until": iso(until, zone),
        "min_n": result.min_n,
        "rows": [group_json(row) for row in result.rows],
        "best": [row.key for row in result.best],
        "worst": [row.key for row in result.worst],
    }


def performance_json(p: Performance) -> Json:
    return {
        "total": p.total,
        "wins": p.wins,
        "losses": p.losses,
        "expired": p.expired,
        "breakeven": p.breakeven,
        "cancelled": p.cancelled,
        "open": p.open,
        "winrate_pct": _pct(p.winrate),
        "winrate_interval_pct": _interval_pct(p.interval),
        "strict_winrate_pct": _pct(p.strict_winrate),
        "avg_pnl_pct": p.avg_pnl_pct,
        "median_pnl_pct": p.median_pnl_pct,
        "total_pnl_pct": p.total_pnl_pct,
        "expectancy_r": p.expectancy_r,
        "profit_factor": p.profit_factor,
        "breakeven_winrate_pct": _pct(p.breakeven_winrate),
        "max_drawdown_pct": p.max_drawdown_pct,
        "longest_losing_streak": p.longest_losing_streak,
        "target_hit_rates_pct": [_pct(rate) for rate in p.target_hit_rates],
        "median_minutes_to_tp1": p.median_minutes_to_tp1,
        "median_minutes_to_sl": p.median_minutes_to_sl,
        "mean_mfe_pct": p.mean_mfe_pct,
        "mean_mae_pct": p.mean_mae_pct,
        "ambiguous": p.ambiguous,
    }


def comparison_json(c: Comparison, a: SignalFilter, b: SignalFilter) -> Json:
    return {
        "a": {"filter": a.describe(), **performance_json(c.a)},
        "b": {"filter": b.describe(), **performance_json(c.b)},
        "winrate_diff_pct": _pct(c.winrate_diff),
        "fisher_p": c.fisher_p,
        "pnl_diff_pct": c.pnl_diff,
        "pnl_diff_interval": list(c.pnl_diff_interval) if c.pnl_diff_interval else None,
        "r_diff": c.r_diff,
        "r_diff_interval": list(c.r_diff_interval) if c.r_diff_interval else None,
        "verdict": c.verdict_text,
        "more_signals_per_side": c.more_per_side,
    }


def advice_json(advice: Advice, lang: Lang) -> Json:
    return {
        "metric": advice.metric.value,
        "n": advice.n,
        "min_n": advice.min_n,
        "items": [
            {
                "kind": item.kind.value,
                "subject": item.subject,
                "evidence": dict(item.evidence),
                "recommendation": render_advice_item(item, lang),
            }
            for item in advice.items
        ],
        "confidence_sweep": [
            {
                "threshold": row.threshold,
                "n": row.n,
                "wins": row.wins,
                "losses": row.losses,
                "winrate_pct": _pct(row.winrate),
                "expectancy": row.expectancy,
            }
            for row in advice.sweep
        ],
    }


def weekly_json(report: WeeklyReport, lang: Lang) -> Json:
    week, zone = report.week, report.week.since.tzinfo
    assert zone is not None
    strategy = report.vs_previous_strategy
    return {
        "week": week.label,
        "since": iso(week.since, zone),
        "until": iso(week.until, zone),
        "empty": report.is_empty,
        "performance": performance_json(report.performance),
        "previous_week": performance_json(report.previous_week),
        "vs_previous_week": _comparison_numbers(report.vs_previous_week),
        "vs_previous_strategy": None
        if strategy is None
        else {
            "current": strategy.current,
            "previous": strategy.previous,
            **_comparison_numbers(strategy.comparison),
        },
        "by_symbol": _rows_json(report.by_symbol),
        "by_side": _rows_json(report.by_side),
        "by_tag": _rows_json(report.by_tag),
        "by_timeframe": _rows_json(report.by_timeframe),
        "by_confidence": _rows_json(report.by_confidence),
        "activity": {
            "total": report.activity.total,
            "users": report.activity.users,
            "per_day": [{"day": d, "commands": n} for d, n in report.activity.per_day],
            "commands": [{"command": c, "n": n} for c, n in report.activity.commands],
        },
        "advice": advice_json(report.advice, lang),
        "equity": [
            {"at": iso(ms_to_datetime(ms), zone), "cum_pnl_pct": pnl} for ms, pnl in report.equity
        ],
    }


def _rows_json(result: Breakdown) -> Json:
    return {
        "min_n": result.min_n,
        "rows": [group_json(row) for row in result.rows],
        "best": [row.key for row in result.best],
        "worst": [row.key for row in result.worst],
    }


def _comparison_numbers(c: ComparisonOf[Side]) -> Json:
    return {
        "winrate_diff_pct": _pct(c.winrate_diff),
        "fisher_p": c.fisher_p,
        "pnl_diff_pct": c.pnl_diff,
        "pnl_diff_interval": list(c.pnl_diff_interval) if c.pnl_diff_interval else None,
        "verdict": c.verdict_text,
    }


def _cell_json(cell: CellResult) -> Json:
    return {
        "target": cell.target,
        "stop": cell.stop,
        "n_in": cell.n_in,
        "expectancy_in_pct": cell.expectancy_in,
        "n_out": cell.n_out,
        "expectancy_out_pct": cell.expectancy_out,
        "profitable_out_pct": _pct(cell.profitable_out),
    }


def whatif_json(result: WhatIf, zone: tzinfo) -> Json:
    return {
        "unit": result.unit.value,
        "signals": result.signals,
        "min_n": result.min_n,
        "split_at": iso(ms_to_datetime(result.split_at_ms), zone),
        "recorded_out_pct": result.recorded_out,
        "recorded_n_out": result.recorded_n_out,
        "best": [_cell_json(cell) for cell in result.best],
        "cells": [_cell_json(cell) for cell in result.cells],
    }
