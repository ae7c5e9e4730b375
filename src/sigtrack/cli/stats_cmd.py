"""`sigtrack stats --by KEY` and `sigtrack compare --a FILTER --b FILTER` (DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from sigtrack.cli.app import app, err, out, print_json, state
from sigtrack.cli.signals_cmd import parse_time_option, whole_number
from sigtrack.cli.tables import rich_table
from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.breakdowns import DEFAULT_MIN_N, BreakdownKey
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import parse_filter
from sigtrack.core.render.advice import advice_json, render_advice, sweep_table
from sigtrack.core.render.breakdown import breakdown_json, breakdown_table
from sigtrack.core.render.comparison import comparison_json, render_comparison
from sigtrack.core.render.whatif import render_whatif, whatif_json
from sigtrack.core.whatif import DEFAULT_MIN_N as WHATIF_MIN_N
from sigtrack.core.whatif import DEFAULT_STOPS, DEFAULT_TARGETS, parse_grid

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
    zone, service = st.settings.zone, st.app.analysis
    start, end = service.window(
        now=datetime.now(UTC),
        days=None if since else whole_number(days, "--days") or 0,
        since=parse_time_option(since, "--since", zone) if since else None,
        until=parse_time_option(until, "--until", zone) if until else None,
    )
    result = service.stats(by, since=start, until=end, min_n=whole_number(min_n, "--min-n") or 0)
    if as_json:
        print_json(breakdown_json(result, start, end, zone))
        return
    out.print(rich_table(breakdown_table(result, st.language(lang), start, end, zone)))


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
    result = st.app.analysis.compare(side_a, side_b)
    if as_json:
        print_json(comparison_json(result, side_a, side_b))
        return
    out.print(render_comparison(result, side_a, side_b, st.language(lang)), markup=False)


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
    result = st.app.analysis.advise(
        chosen, min_n=whole_number(min_n, "--min-n") or 0, candles=candles
    )
    if as_json:
        print_json(advice_json(result, language))
        return
    out.print(render_advice(result, language), markup=False)
    sweep = sweep_table(result)
    if sweep is not None:
        out.print(rich_table(sweep))


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
    grid_t = parse_grid(targets, DEFAULT_TARGETS, "--targets")
    grid_s = parse_grid(stops, DEFAULT_STOPS, "--stops")
    chosen = parse_filter(filter_, zone, option="--filter")
    with Progress(transient=True, console=err) as bar:
        task = bar.add_task("what-if", total=len(grid_t) * len(grid_s))
        result = st.app.analysis.whatif(
            candles=candles, chosen=chosen, targets=grid_t, stops=grid_s, unit=unit,
            min_n=whole_number(min_n, "--min-n") or 0,
            progress=lambda done, _: bar.update(task, completed=done),
        )  # fmt: skip
    if as_json:
        print_json(whatif_json(result, zone))
        return
    out.print(render_whatif(result, zone, language), markup=False)
