"""`sigtrack stats --by KEY` and `sigtrack compare --a FILTER --b FILTER` (DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from sigtrack.cli.app import app, err, out, print_json, state
from sigtrack.cli.signals_cmd import parse_time_option, whole_number
from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.advice import Metric
from sigtrack.core.breakdowns import DEFAULT_MIN_N, Breakdown, BreakdownKey
from sigtrack.core.comparison import Comparison, Verdict
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import SignalFilter, parse_filter
from sigtrack.core.outcomes import ms_to_datetime
from sigtrack.core.stats import cohort_start
from sigtrack.core.texts import NO_VALUE, Lang, format_pct, render_advice_item, text
from sigtrack.core.whatif import DEFAULT_MIN_N as WHATIF_MIN_N
from sigtrack.core.whatif import DEFAULT_STOPS, DEFAULT_TARGETS, Unit, WhatIf, parse_grid
from sigtrack.services.views import (
    advice_json,
    breakdown_json,
    comparison_json,
    iso,
    whatif_json,
)

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
    end = parse_time_option(until, "--until", zone) if until else now
    result = st.tracker.stats(by, since=start, until=end, min_n=whole_number(min_n, "--min-n") or 0)
    if as_json:
        print_json(breakdown_json(result, start, end, zone))
        return
    out.print(
        _table(
            result,
            st.language(lang),
            f"{start.astimezone(zone):%Y-%m-%d}",
            f"{end.astimezone(zone):%Y-%m-%d %H:%M}",
            str(zone),
        )
    )


def _table(result: Breakdown, lang: Lang, since: str, until: str, zone: str) -> Table:
    title = text(
        "stats.title", lang, by=result.by.value.upper(), since=since, until=until, zone=zone
    )
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


@app.command()
def compare(
    ctx: typer.Context,
    a: Annotated[str, typer.Option("--a", metavar="FILTER", help="e.g. strategy=v1")],
    b: Annotated[str, typer.Option("--b", metavar="FILTER", help="e.g. strategy=v2")],
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compare two sets of signals (strategy A vs B, before vs after a date, …).

    A FILTER is key=value pairs joined by commas; keys: strategy, symbol, side,
    timeframe, tag, source, since, until, min_confidence.
    """
    st = state(ctx)
    zone = st.settings.zone
    side_a, side_b = parse_filter(a, zone, option="--a"), parse_filter(b, zone, option="--b")
    result = st.tracker.compare(side_a, side_b)
    if as_json:
        print_json(comparison_json(result, side_a, side_b))
        return
    out.print(render_comparison(result, side_a, side_b, st.language(lang)), markup=False)


def render_comparison(result: Comparison, a: SignalFilter, b: SignalFilter, lang: Lang) -> str:
    lines = [text("compare.title", lang)]
    for name, chosen, p in (("A", a, result.a), ("B", b, result.b)):
        low, high = (format_pct(x * 100) for x in p.interval) if p.interval else (NO_VALUE,) * 2
        lines.append(
            text(
                "compare.side",
                lang,
                side=name,
                filter=chosen.describe(),
                wins=p.wins,
                losses=p.losses,
                rate=format_pct(None if p.winrate is None else p.winrate * 100),
                low=low,
                high=high,
                pnl=format_pct(p.avg_pnl_pct, signed=True, digits=2),
                r=NO_VALUE if p.expectancy_r is None else f"{p.expectancy_r:+.2f} R",
            )
        )
    ci = result.pnl_diff_interval
    lines.append(
        text(
            "compare.tests",
            lang,
            diff=format_pct(
                None if result.winrate_diff is None else result.winrate_diff * 100, signed=True
            ),
            p=NO_VALUE if result.fisher_p is None else f"{result.fisher_p:.3g}",
            pnl=format_pct(result.pnl_diff, signed=True, digits=2),
            pnl_ci=f"{ci[0]:+.2f} … {ci[1]:+.2f}" if ci else NO_VALUE,
        )
    )
    verdict = (
        text("verdict.more", lang, n=result.more_per_side)
        if result.verdict is Verdict.NOT_ENOUGH and result.more_per_side
        else text(f"verdict.{result.verdict.value}", lang)
    )
    lines.append(text("compare.verdict", lang, verdict=verdict))
    return "\n".join(lines)


@app.command()
def advise(
    ctx: typer.Context,
    filter_: Annotated[
        str, typer.Option("--filter", metavar="FILTER", help="Which signals (default: all).")
    ] = "",
    min_n: Annotated[
        str, typer.Option("--min-n", metavar="N", help="Advise only on N signals or more.")
    ] = str(ADVICE_MIN_N),
    candles: Annotated[
        Path | None,
        typer.Option("--candles", help="Also run the TP/SL what-if on these candle files."),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recommendations with their evidence: confidence threshold, coins / tags to drop,
    and with --candles the TP / SL distances that held up out of sample."""
    st = state(ctx)
    language = st.language(lang)
    if candles is not None and not candles.exists():
        raise InvalidInput("--candles", f"no such file or folder (got {str(candles)!r})")
    chosen = parse_filter(filter_, st.settings.zone, option="--filter")
    result = st.tracker.advise(chosen, min_n=whole_number(min_n, "--min-n") or 0, candles=candles)
    if as_json:
        print_json(advice_json(result, language))
        return
    out.print(text("advice.title", language), markup=False)
    for item in result.items:
        out.print(f"• {render_advice_item(item, language)}", markup=False)
    if not result.items:
        out.print(text("advice.none", language), markup=False)
    if result.sweep:
        unit = "R" if result.metric is Metric.R else "PnL %"
        table = Table(title=f"confidence ≥ t ({unit})", title_justify="left")
        for name in ("t", "n", "W", "L", "winrate", "expectancy"):
            table.add_column(name, justify="right")
        for row in result.sweep:
            table.add_row(
                str(row.threshold),
                str(row.n),
                str(row.wins),
                str(row.losses),
                format_pct(None if row.winrate is None else row.winrate * 100),
                NO_VALUE if row.expectancy is None else f"{row.expectancy:+.3f}",
            )
        out.print(table)


@app.command()
def whatif(
    ctx: typer.Context,
    candles: Annotated[
        Path | None,
        typer.Option("--candles", help="Candle files (default: the exchange via the cache)."),
    ] = None,
    filter_: Annotated[
        str, typer.Option("--filter", metavar="FILTER", help="Which signals (default: all).")
    ] = "",
    targets: Annotated[
        str | None, typer.Option(metavar="LIST", help="Target distances, e.g. 0.5,1,2,3.")
    ] = None,
    stops: Annotated[
        str | None, typer.Option(metavar="LIST", help="Stop distances, e.g. 0.5,1,1.5.")
    ] = None,
    unit: Annotated[str, typer.Option(help="r (multiples of each signal's risk) or pct.")] = "r",
    min_n: Annotated[
        str, typer.Option("--min-n", metavar="N", help="Cells need N signals to be chosen.")
    ] = str(WHATIF_MIN_N),
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Re-settle the recorded signals with other TP / SL distances, judged out of sample."""
    st = state(ctx)
    language, zone = st.language(lang), st.settings.zone
    if candles is not None and not candles.exists():
        raise InvalidInput("--candles", f"no such file or folder (got {str(candles)!r})")
    grid_t = parse_grid(targets, DEFAULT_TARGETS, "--targets")
    grid_s = parse_grid(stops, DEFAULT_STOPS, "--stops")
    chosen = parse_filter(filter_, zone, option="--filter")
    if unit not in ("r", "pct"):
        raise InvalidInput("--unit", f"must be r or pct (got {unit!r})")
    with Progress(transient=True, console=err) as bar:
        task = bar.add_task("what-if", total=len(grid_t) * len(grid_s))
        result = st.tracker.whatif(
            candles=candles, chosen=chosen, targets=grid_t, stops=grid_s, unit=unit,
            min_n=whole_number(min_n, "--min-n") or 0,
            progress=lambda done, _: bar.update(task, completed=done),
        )  # fmt: skip
    if as_json:
        print_json(whatif_json(result, zone))
        return
    out.print(render_whatif(result, zone, language), markup=False)


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else fraction * 100


def render_whatif(result: WhatIf, zone: tzinfo, lang: Lang) -> str:
    split = f"{result.split_at_ms and iso(ms_to_datetime(result.split_at_ms), zone)}"
    unit = " R" if result.unit is Unit.R else "%"
    lines = [
        text("whatif.title", lang, signals=result.signals, split=split),
        text("whatif.recorded", lang, pnl=format_pct(result.recorded_out, signed=True, digits=3),
             n=result.recorded_n_out),
    ]  # fmt: skip
    for cell in result.best:
        lines.append(
            text(
                "whatif.cell", lang, target=f"{cell.target:g}{unit}", stop=f"{cell.stop:g}{unit}",
                pnl_in=format_pct(cell.expectancy_in, signed=True, digits=3), n_in=cell.n_in,
                pnl_out=format_pct(cell.expectancy_out, signed=True, digits=3), n_out=cell.n_out,
                share=format_pct(_pct(cell.profitable_out)),
            )
        )  # fmt: skip
    if not result.best:
        lines.append(text("whatif.none", lang, n=result.min_n))
    return "\n".join(lines)
