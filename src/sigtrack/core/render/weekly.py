"""The weekly report as a Telegram message (Indonesian, the old headings, or English) and
as JSON."""

from __future__ import annotations

from datetime import timedelta

from sigtrack.core.breakdowns import Breakdown, GroupSummary
from sigtrack.core.comparison import ComparisonOf, Side
from sigtrack.core.outcomes import ms_to_datetime
from sigtrack.core.performance import Performance
from sigtrack.core.render.advice import advice_json, render_advice
from sigtrack.core.render.breakdown import rows_json
from sigtrack.core.render.comparison import comparison_numbers, performance_json, verdict_text
from sigtrack.core.render.values import Json, iso, rate_text
from sigtrack.core.report import WeeklyReport
from sigtrack.core.texts import NO_VALUE, Lang, format_pct, text

MAX_ROWS = 5


def render_weekly_text(report: WeeklyReport, lang: Lang = Lang.ID) -> str:
    week = report.week
    lines = [
        text("report.title", lang, week=week.label),
        text(
            "report.period",
            lang,
            since=f"{week.since:%Y-%m-%d}",
            until=f"{week.until - timedelta(days=1):%Y-%m-%d}",
            zone=report.zone,
        ),
        "",
        text("report.performance", lang),
    ]
    if report.is_empty:
        lines.append(text("report.empty", lang))
    else:
        lines += _performance(report.performance, lang)
        last, this = text("side.last_week", lang), text("side.this_week", lang)
        lines.append(_versus("report.vs_week", report.vs_previous_week, lang, a=last, b=this))
        if report.vs_previous_strategy:
            s = report.vs_previous_strategy
            lines.append(_versus("report.vs_strategy", s.comparison, lang, a=s.previous,
                                 b=s.current, current=s.current, previous=s.previous))  # fmt: skip
        lines += ["", text("report.analysis", lang), *_analysis(report, lang)]
    lines += ["", text("report.activity", lang), *_activity(report, lang)]
    lines += ["", render_advice(report.advice, lang)]
    return "\n".join(lines)


def _performance(p: Performance, lang: Lang) -> list[str]:
    low, high = (format_pct(x * 100) for x in p.interval) if p.interval else (NO_VALUE, NO_VALUE)
    return [
        text("report.totals", lang, total=p.total, wins=p.wins, losses=p.losses,
             expired=p.expired, breakeven=p.breakeven, open=p.open, cancelled=p.cancelled),
        text("report.winrate", lang, rate=rate_text(p.winrate), low=low, high=high,
             strict=rate_text(p.strict_winrate)),
        text("report.pnl", lang, avg=format_pct(p.avg_pnl_pct, signed=True, digits=2),
             median=format_pct(p.median_pnl_pct, signed=True, digits=2),
             total=format_pct(p.total_pnl_pct, signed=True, digits=2),
             dd=format_pct(p.max_drawdown_pct, digits=2)),
        text("report.edge", lang,
             r=NO_VALUE if p.expectancy_r is None else f"{p.expectancy_r:+.2f} R",
             pf=NO_VALUE if p.profit_factor is None else f"{p.profit_factor:.2f}",
             be=rate_text(p.breakeven_winrate)),
    ]  # fmt: skip


def _versus(key: str, c: ComparisonOf[Side], lang: Lang, *, a: str, b: str, **names: str) -> str:
    """One line of A (before) → B (now), the verdict naming the better side."""
    return text(key, lang, prev=rate_text(c.a.winrate), now=rate_text(c.b.winrate),
                verdict=verdict_text(c, lang, a=a, b=b), **names)  # fmt: skip


def _row(row: GroupSummary) -> str:
    return f"{row.key} {rate_text(row.winrate)} ({row.wins}/{row.decided})"


def _rows(result: Breakdown) -> str:
    rows = [row for row in result.rows if row.n or row.open]
    shown = ", ".join(_row(row) for row in rows[:MAX_ROWS]) or NO_VALUE
    return shown + (" …" if len(rows) > MAX_ROWS else "")


def _analysis(report: WeeklyReport, lang: Lang) -> list[str]:
    coins = report.by_symbol
    if coins.best:
        ranked = [
            text("report.best", lang, rows=", ".join(_row(r) for r in coins.best[:3])),
            text("report.worst", lang, rows=", ".join(_row(r) for r in coins.worst[:3])),
        ]
    else:
        ranked = [text("report.no_ranking", lang, n=coins.min_n)]
    return [
        *ranked,
        text("report.sides", lang, rows=_rows(report.by_side)),
        text("report.tags", lang, rows=_rows(report.by_tag)),
        text("report.timeframes", lang, rows=_rows(report.by_timeframe)),
        text("report.confidence", lang, rows=_rows(report.by_confidence)),
    ]


def _activity(report: WeeklyReport, lang: Lang) -> list[str]:
    a = report.activity
    days = [f"• {day}: {count}" for day, count in a.per_day]
    top = ", ".join(f"{command} {n}" for command, n in a.commands[:MAX_ROWS]) or NO_VALUE
    return [
        text("report.activity_total", lang, total=a.total, users=a.users),
        *days,
        text("report.activity_top", lang, rows=top),
    ]


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
        "vs_previous_week": comparison_numbers(report.vs_previous_week),
        "vs_previous_strategy": None
        if strategy is None
        else {
            "current": strategy.current,
            "previous": strategy.previous,
            **comparison_numbers(strategy.comparison),
        },
        "by_symbol": rows_json(report.by_symbol),
        "by_side": rows_json(report.by_side),
        "by_tag": rows_json(report.by_tag),
        "by_timeframe": rows_json(report.by_timeframe),
        "by_confidence": rows_json(report.by_confidence),
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
