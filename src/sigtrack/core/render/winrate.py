"""The /winrate message (the old tracker's labels, id / en) and its JSON view."""

from __future__ import annotations

from datetime import tzinfo

from sigtrack.core.render.values import Json, counts_json, iso
from sigtrack.core.stats import WinrateSummary
from sigtrack.core.texts import SMALL_SAMPLE, Lang, format_pct, text


def render_winrate(summary: WinrateSummary, zone: tzinfo, lang: Lang = Lang.ID) -> str:
    """The old /winrate message, plus the interval, the other results and the open count.

    "Total Signal" counts every closed signal, so EXPIRED and BREAKEVEN get their own lines
    beside Win and Loss and the lines add up to it; cancelled ones are outside it.
    """
    lines = [text("winrate.title", lang, days=summary.days), ""]
    local_since = summary.since.astimezone(zone).strftime("%Y-%m-%d")
    local_until = summary.until.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    lines.append(text("winrate.period", lang, since=local_since, until=local_until, zone=zone))
    lines.append(text("winrate.stats", lang))
    lines.append(text("winrate.total", lang, n=summary.total))
    lines.append(text("winrate.wins", lang, n=summary.wins))
    lines.append(text("winrate.losses", lang, n=summary.losses))
    if summary.expired:
        lines.append(text("winrate.expired", lang, n=summary.expired))
    if summary.breakeven:
        lines.append(text("winrate.breakeven", lang, n=summary.breakeven))
    lines.append(text("winrate.rate", lang, rate=format_pct(summary.winrate_pct)))
    if summary.interval_pct is not None:
        low, high = summary.interval_pct
        lines.append(text("winrate.interval", lang, low=format_pct(low), high=format_pct(high)))
    lines.append(text("winrate.avg_pnl", lang, pnl=format_pct(summary.avg_pnl_pct, signed=True)))
    if summary.cancelled:
        lines.append(text("winrate.cancelled", lang, n=summary.cancelled))
    lines.append("")
    lines.append(text("winrate.open", lang, n=summary.open))
    if summary.decided == 0:
        lines.append(text("winrate.nothing", lang))
    elif summary.decided < SMALL_SAMPLE:
        lines.append(text("winrate.small_sample", lang, n=summary.decided))
    return "\n".join(lines)


def winrate_json(summary: WinrateSummary, zone: tzinfo) -> Json:
    return {
        "days": summary.days,
        "since": iso(summary.since, zone),
        "until": iso(summary.until, zone),
        **counts_json(summary),
    }
