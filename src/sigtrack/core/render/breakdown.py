"""Breakdowns (per symbol, tag, hour …): the table of `stats` and the JSON views."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sigtrack.core.breakdowns import Breakdown, GroupSummary
from sigtrack.core.render.tables import TextTable
from sigtrack.core.render.values import Json, interval_pct, iso, pct, rate_text
from sigtrack.core.texts import NO_VALUE, Lang, format_pct, text


def breakdown_table(
    result: Breakdown, lang: Lang, since: datetime, until: datetime, zone: tzinfo
) -> TextTable:
    """One row per group with n, W, L, winrate and interval, PnL, expectancy; the ranking
    rule, the best and worst rows below."""
    title = text("stats.title", lang, by=result.by.value.upper(),
                 since=f"{since.astimezone(zone):%Y-%m-%d}",
                 until=f"{until.astimezone(zone):%Y-%m-%d %H:%M}", zone=str(zone))  # fmt: skip
    columns = (result.by.value, "n", "W", "L", "winrate", "95%", "avg PnL", "exp. R (n)", "")
    rows = tuple(_row(row, lang) for row in result.rows)
    caption = [text("stats.ranking", lang, n=result.min_n)]
    if result.best:
        caption.append(text("stats.best", lang, keys=", ".join(r.key for r in result.best[:3])))
        caption.append(text("stats.worst", lang, keys=", ".join(r.key for r in result.worst[:3])))
    if not result.rows:
        caption.append(text("stats.empty", lang))
    return TextTable(title=title, columns=columns, rows=rows, caption="\n".join(caption),
                     left=frozenset({result.by.value}))  # fmt: skip


def _row(row: GroupSummary, lang: Lang) -> tuple[str, ...]:
    interval = (
        f"{format_pct(row.interval[0] * 100)}–{format_pct(row.interval[1] * 100)}"
        if row.interval
        else NO_VALUE
    )
    expectancy = (
        NO_VALUE if row.expectancy_r is None else f"{row.expectancy_r:+.2f} ({row.expectancy_n})"
    )
    return (
        row.key, str(row.n), str(row.wins), str(row.losses), rate_text(row.winrate), interval,
        format_pct(row.avg_pnl_pct, signed=True, digits=2), expectancy,
        text("stats.too_few", lang) if row.is_too_few else "",
    )  # fmt: skip


def group_json(row: GroupSummary) -> Json:
    return {
        "key": row.key,
        "n": row.n,
        "wins": row.wins,
        "losses": row.losses,
        "expired": row.expired,
        "breakeven": row.breakeven,
        "open": row.open,
        "winrate_pct": pct(row.winrate),
        "winrate_interval_pct": interval_pct(row.interval),
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


def rows_json(result: Breakdown) -> Json:
    return {
        "min_n": result.min_n,
        "rows": [group_json(row) for row in result.rows],
        "best": [row.key for row in result.best],
        "worst": [row.key for row in result.worst],
    }
