"""`sigtrack winrate`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from sigtrack.cli.app import app, out, print_json, state
from sigtrack.cli.signals_cmd import parse_time_option, whole_number
from sigtrack.core.render.winrate import render_winrate, winrate_json


@app.command()
def winrate(
    ctx: typer.Context,
    days: Annotated[
        str, typer.Option(metavar="N", help="Signals created in the last N days.")
    ] = "7",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Count as if it were this time (ISO-8601).")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Winrate of the signals created in the last N days (the old /winrate)."""
    st = state(ctx)
    zone = st.settings.zone
    now = parse_time_option(as_of, "--as-of", zone) if as_of else datetime.now(UTC)
    summary = st.app.tracking.winrate(whole_number(days, "--days") or 0, now=now)
    if as_json:
        print_json(winrate_json(summary, zone))
    else:
        out.print(render_winrate(summary, zone, st.language(lang)), markup=False)
