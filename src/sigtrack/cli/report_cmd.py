"""`sigtrack report weekly`: the weekly report as text, JSON or a self-contained HTML page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from sigtrack.cli.app import app, out, state
from sigtrack.cli.signals_cmd import parse_time_option
from sigtrack.core.errors import InvalidInput
from sigtrack.core.render.report import check_report_format, render_weekly

report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command()
def weekly(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option(metavar="YYYY-Www", help="Default: the last complete week.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, json or html.")] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (--format json).")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Take 'now' to be this time (ISO-8601).")
    ] = None,
) -> None:
    """The weekly report: totals, winrate, best / worst coins, sides, tags, activity, advice."""
    st = state(ctx)
    if as_json and fmt not in ("text", "json"):
        raise InvalidInput("--json", f"means --format json; drop one (got --format {fmt!r})")
    fmt = "json" if as_json else fmt
    now = parse_time_option(as_of, "--as-of", st.settings.zone) if as_of else datetime.now(UTC)
    check_report_format(fmt)
    report = st.app.analysis.weekly(week, now=now)
    rendered = render_weekly(report, fmt, st.language(lang))
    if out_file is None:
        out.print(rendered, markup=False, highlight=False)
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = out_file.with_name(f".{out_file.name}.tmp")
        temporary.write_text(rendered, encoding="utf-8")
        temporary.replace(out_file)
    except OSError as exc:
        raise InvalidInput("--out", f"cannot write {out_file}: {exc.strerror}") from None
    out.print(f"{out_file}", markup=False)
