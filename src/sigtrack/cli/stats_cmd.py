"""`sigtrack stats --by KEY`: the breakdowns of DESIGN §4 as a table or JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from sigtrack.cli.app import app, out, print_json, state
from sigtrack.cli.signals_cmd import parse_time_option, whole_number
from sigtrack.core.breakdowns import DEFAULT_MIN_N, Breakdown, BreakdownKey
from sigtrack.core.stats import cohort_start
from sigtrack.core.texts import NO_VALUE, Lang, format_pct, text
from sigtrack.services.views import breakdown_json

KEYS = "|".join(key.value for key in BreakdownKey)


@app.command()
def stats(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option("--by", metavar=KEYS, help="What to break down by.")
    ] = "symbol",
    days: Annotated[
        str, typer.Option(metavar="N", help="Signals created in the last N days.")
    ] = "30",
    since: Annotated[
        str | None, typer.Option(help="From this date or time (display zone); overrides --days.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Up to (not including) this time.")] = None,
    min_n: Annotated[
        str, typer.Option("--min-n", metavar="N", help="Rank only rows with N WIN/LOSS.")
    ] = str(DEFAULT_MIN_N),
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Winrate with its interval, PnL and expectancy per symbol, tag, hour … of a window."""
    st = state(ctx)
    zone = st.settings.zone
    now = datetime.now(UTC)
    start = (
        parse_time_option(since, "--since", zone)
        if since
        else cohort_start(now, whole_number(days, "--days") or 0, zone)
    )
    end = parse_time_option(until, "--until", zone) if until else now + timedelta(microseconds=1)
    result = st.tracker.stats(by, since=start, until=end, min_n=whole_number(min_n, "--min-n") or 0)
    if as_json:
        print_json(breakdown_json(result, start, end, zone))
        return
    out.print(_table(result, st.language(lang), f"{start.astimezone(zone):%Y-%m-%d}",
                     f"{end.astimezone(zone):%Y-%m-%d %H:%M}", str(zone)))  # fmt: skip


def _table(result: Breakdown, lang: Lang, since: str, until: str, zone: str) -> Table:
    title = text("stats.title", lang, by=result.by.value.upper(), since=since, until=until,
                 zone=zone)  # fmt: skip
    table = Table(title=title, title_justify="left")
    for name in (result.by.value, "n", "W", "L", "winrate", "95%", "avg PnL", "exp. R (n)", ""):
        table.add_column(name, justify="left" if name == result.by.value else "right")
    for row in result.rows:
        interval = (
            f"{format_pct(row.interval[0] * 100)}–{format_pct(row.interval[1] * 100)}"
            if row.interval
            else NO_VALUE
        )
        table.add_row(
            row.key,
            str(row.n),
            str(row.wins),
            str(row.losses),
            format_pct(None if row.winrate is None else row.winrate * 100),
            interval,
            format_pct(row.avg_pnl_pct, signed=True, digits=2),
            NO_VALUE
            if row.expectancy_r is None
            else f"{row.expectancy_r:+.2f} ({row.expectancy_n})",
            text("stats.too_few", lang) if row.is_too_few else "",
        )
    caption = [text("stats.ranking", lang, n=result.min_n)]
    if result.best:
        caption.append(text("stats.best", lang, keys=", ".join(r.key for r in result.best[:3])))
        caption.append(text("stats.worst", lang, keys=", ".join(r.key for r in result.worst[:3])))
    if not result.rows:
        caption.append(text("stats.empty", lang))
    table.caption = "\n".join(caption)
    table.caption_justify = "left"
    return table
