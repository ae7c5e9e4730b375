"""`sigtrack init | import-jsonl | export-jsonl | export | demo`."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from sigtrack.adapters.tabular import FORMATS
from sigtrack.cli.app import app, err, out, print_json, state
from sigtrack.config import mask_url, parse_zone
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import parse_filter
from sigtrack.core.render.report import render_weekly
from sigtrack.core.render.settling import pass_text
from sigtrack.core.render.winrate import render_winrate
from sigtrack.services.legacy import ImportReport

DEMO_DIR = Path("signal_logs")
# The bundled history and candles end here (scripts/make_demo_history.py, make_demo_candles.py).
DEMO_HISTORY_START = datetime(2026, 9, 6, 17, 0, tzinfo=UTC)  # 2026-09-07 00:00 in Jakarta
DEMO_HISTORY_END = datetime(2026, 11, 15, 17, 0, tzinfo=UTC)


@app.command()
def init(
    ctx: typer.Context,
    rebuild_rollups: Annotated[
        bool,
        typer.Option(
            "--rebuild-rollups",
            help="recount the daily rollups from every signal (after writing rows in SQL)",
        ),
    ] = False,
) -> None:
    """Create the database (or bring its schema up to date)."""
    st = state(ctx)
    tracking = st.app.tracking  # opening the store creates and migrates it
    if rebuild_rollups:
        days = tracking.rebuild_rollups()
        out.print(f"rollups recounted: {days} day(s)", markup=False)
    out.print(f"ready: {mask_url(st.settings.resolved_database_url)}", markup=False)


def print_import_report(report: ImportReport) -> None:
    out.print(
        f"read {report.lines} line(s) from {len(report.files)} file(s): "
        f"{report.added} signal(s) added, {report.closed} closed, {report.unchanged} already "
        f"there; {report.activity_added} command(s) added, {report.activity_unchanged} already "
        "there",
        markup=False,
    )
    for warning in report.warnings:
        err.print(f"note: {warning}", markup=False)
    if report.problems:
        err.print(f"{len(report.problems)} line(s) skipped:", markup=False)
        for problem in report.problems:
            err.print(f"  {problem}", markup=False)


def _files_zone(value: str | None) -> str | None:
    """The zone of the old files' naive times, checked under its own option's name."""
    if value is not None:
        parse_zone(value, "--files-tz")
    return value


def files_tz_option(what: str) -> object:
    return typer.Option(
        "--files-tz",
        metavar="ZONE",
        callback=_files_zone,
        help=f"Zone of {what} (default: the display zone, --tz).",
    )


@app.command("import-jsonl")
def import_jsonl(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Old tracker files, or folders holding them.")
    ],
    files_tz: Annotated[str | None, files_tz_option("the files' naive times")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import active_signals.jsonl, completed_signals.jsonl and prompts_*.jsonl; safe to repeat."""
    st = state(ctx)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InvalidInput("paths", f"no such file or folder (got {missing[0]!r})")
    zone = parse_zone(files_tz, "--files-tz") if files_tz else None
    report = st.app.legacy.import_files(paths, now=datetime.now(UTC), zone=zone)
    if as_json:
        print_json(asdict(report))
    else:
        print_import_report(report)


@app.command("export-jsonl")
def export_jsonl(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to write the files into.")],
    files_tz: Annotated[str | None, files_tz_option("the written times")] = None,
    aware: Annotated[
        bool, typer.Option("--aware", help="Write times with their offset (default: naive local).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write the old tracker's files from the store, so tools built on them keep working."""
    zone = parse_zone(files_tz, "--files-tz") if files_tz else None
    report = state(ctx).app.legacy.export_files(directory, zone=zone, aware=aware)
    if as_json:
        print_json(asdict(report))
        return
    for name, count in report.files.items():
        out.print(f"{directory / name}: {count} line(s)", markup=False)


@app.command()
def demo(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo store and files go.")
    ] = DEMO_DIR,
    candles: Annotated[
        Path | None,
        typer.Option(
            "--candles",
            help="Settle against these candle files (a folder of SYMBOL.csv / .parquet) "
            "instead of the bundled generated ones.",
        ),
    ] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after the report (scripts, CI).")
    ] = False,
    port: Annotated[
        str, typer.Option(metavar="N", help="Port of the dashboard served at the end.")
    ] = "8000",
) -> None:
    """Import an example history, settle its open signals, print the winrate and the report,
    then serve the dashboard on 127.0.0.1 until Ctrl-C (unless --no-serve)."""
    st = state(ctx)
    history = _copy_bundled("demo_data", directory / "demo_history", ".jsonl")
    bundled = candles is None
    if bundled:
        candles = _copy_bundled("demo_data/candles", directory / "demo_candles", ".parquet")
    if st.db is None and st.config is None:
        st.db = f"sqlite:///{directory / 'demo.db'}"
    zone, lang = st.settings.zone, st.settings.lang
    out.print(f"store: {mask_url(st.settings.resolved_database_url)}", markup=False)
    out.print(f"importing the example history (generated, old JSONL format) from {history}/")
    print_import_report(st.app.legacy.import_files([history], now=datetime.now(UTC)))
    as_of = DEMO_HISTORY_END if bundled else None
    label = "generated, bundled" if bundled else "yours"
    out.print(f"\nsettling the open signals from candles ({label}): {candles}/", markup=False)
    now = as_of or datetime.now(UTC)
    report = st.app.settling(candles=candles).run_pass(now=now)
    out.print(pass_text(report, zone, lang), markup=False)
    if as_of is not None:
        out.print(
            f"\nwinrate as of {as_of.astimezone(zone):%Y-%m-%d %H:%M} "
            "(the end of the example history):",
            markup=False,
        )
    for days in (7, 30):
        out.print("")
        summary = st.app.tracking.winrate(days, now=now)
        out.print(render_winrate(summary, zone, lang), markup=False)
    weekly = st.app.analysis.weekly(None, now=now)
    out.print("")
    out.print(render_weekly(weekly, "text", lang), markup=False)
    page = directory / "weekly_report.html"
    page.write_text(render_weekly(weekly, "html", lang), encoding="utf-8")
    out.print(f"\nThe weekly report as a page (opens offline): {page.resolve()}", markup=False)
    url = mask_url(st.settings.resolved_database_url)
    out.print(f"Explore it: sigtrack --db {url} list --limit 10", markup=False)
    since = f"--since {DEMO_HISTORY_START.astimezone(zone):%Y-%m-%d}"
    for then in (f"stats --by tag {since}", "compare --a strategy=v1 --b strategy=v2", "advise"):
        out.print(f"            sigtrack --db {url} {then}", markup=False)
    if no_serve:
        return
    from sigtrack.cli.serve_cmd import parse_port, run_server  # noqa: PLC0415

    window = ""
    if bundled:  # the example history's own dates: a window of the last N days would be empty
        first, last = DEMO_HISTORY_START.astimezone(zone), DEMO_HISTORY_END.astimezone(zone)
        window = f"?since={first:%Y-%m-%d}&until={last:%Y-%m-%d}"
    out.print("\nThe dashboard of the example history (offline; Ctrl-C stops):", markup=False)
    run_server(st, host="127.0.0.1", port=parse_port(port), monitor=False, jobs=False,
               bot=False, page=window)  # fmt: skip


def _copy_bundled(package_dir: str, target: Path, suffix: str) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    source = resources.files("sigtrack").joinpath(*package_dir.split("/"))
    for entry in source.iterdir():
        if entry.name.endswith(suffix):
            with resources.as_file(entry) as path:
                shutil.copyfile(path, target / entry.name)
    return target


@app.command("export")
def export_table(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    filter_: Annotated[
        str, typer.Option("--filter", metavar="FILTER", help="Which signals (default: all).")
    ] = "",
) -> None:
    """Write the signals with their outcomes as one table (Parquet or CSV)."""
    st = state(ctx)
    if fmt not in FORMATS:
        raise InvalidInput("--format", f"must be one of {', '.join(FORMATS)} (got {fmt!r})")
    chosen = parse_filter(filter_, st.settings.zone, option="--filter")
    try:
        rows = st.app.analysis.export(out_file, fmt=fmt, chosen=chosen)
    except OSError as exc:
        raise InvalidInput("--out", f"cannot write {out_file}: {exc.strerror}") from None
    out.print(f"{out_file}: {rows} signal(s)", markup=False)
