"""`sigtrack track | close | cancel | show | list`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer

from sigtrack.cli.app import app, err, out, print_json, state
from sigtrack.cli.tables import rich_table
from sigtrack.core.errors import InvalidBatch, InvalidInput
from sigtrack.core.journal import Journaled
from sigtrack.core.records import SignalRecord
from sigtrack.core.render.signals import (
    closing_json,
    history_lines,
    record_json,
    signal_detail_table,
    signal_list_table,
    signal_view,
)
from sigtrack.core.signal_input import json_problem, parse_datetime
from sigtrack.core.signals import to_number
from sigtrack.core.texts import Lang, text
from sigtrack.services.tracking import SignalInput, TrackingService

CLI_SOURCE = "manual"


def whole_number(value: str | None, field: str) -> int | None:
    """Options are read as text so that a bad one is reported with its value."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(field, f"must be a whole number (got {value!r})") from None


def parse_time_option(value: str, field: str, zone: Any) -> datetime:
    """ISO-8601 or a date; without an offset it is read in the display zone."""
    return parse_datetime(value, field, zone)


@app.command()
def track(
    ctx: typer.Context,
    symbol: Annotated[str | None, typer.Option(help="e.g. BTCUSDT or BTC/USDT")] = None,
    side: Annotated[str | None, typer.Option(help="LONG or SHORT (BUY / SELL)")] = None,
    timeframe: Annotated[str | None, typer.Option(help="1m … 1w")] = None,
    entry: Annotated[str | None, typer.Option(metavar="PRICE")] = None,
    tp1: Annotated[str | None, typer.Option(metavar="PRICE")] = None,
    tp2: Annotated[str | None, typer.Option(metavar="PRICE")] = None,
    sl: Annotated[str | None, typer.Option(metavar="PRICE")] = None,
    confidence: Annotated[str | None, typer.Option(metavar="0-100")] = None,
    reason: Annotated[list[str] | None, typer.Option(help="Repeat for several reasons.")] = None,
    strategy: Annotated[str | None, typer.Option(help="Name of the signal logic version.")] = None,
    source: Annotated[str, typer.Option(help="Where the signal came from.")] = CLI_SOURCE,
    receivers: Annotated[str | None, typer.Option(help="Telegram user ids: 1,2,3")] = None,
    at: Annotated[
        str | None, typer.Option(help="Creation time, ISO-8601 (no offset: display zone).")
    ] = None,
    signal_id: Annotated[str | None, typer.Option("--id", help="Your own signal id.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="One JSON signal per line; all or nothing.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record a signal from options, or every signal of a JSON-lines file."""
    st = state(ctx)
    if file is not None:
        options = {
            "symbol": symbol, "side": side, "timeframe": timeframe, "entry": entry, "tp1": tp1,
            "tp2": tp2, "sl": sl, "confidence": confidence, "reason": reason,
            "strategy": strategy, "receivers": receivers, "at": at, "id": signal_id,
        }  # fmt: skip
        given = [name for name, value in options.items() if value is not None]
        if given or source != CLI_SOURCE:
            other = given[0] if given else "source"
            raise InvalidInput("--file", f"cannot be combined with --{other} (give it per line)")
        ids = _track_file(st.app.tracking, file)
    else:
        signal: dict[str, object] = {
            "symbol": symbol, "side": side, "timeframe": timeframe, "entry": entry,
            "tp1": tp1, "tp2": tp2, "sl": sl, "confidence": confidence,
            "reasons": reason or [], "source": source, "receivers": receivers,
            "signal_id": signal_id,
        }  # fmt: skip
        for name in ("symbol", "side", "timeframe", "entry", "tp1", "sl"):
            if signal[name] is None:
                raise InvalidInput(f"--{name}", "is required (or give --file)")
        if strategy:
            signal["strategy"] = strategy
        if at is not None:
            signal["created_at"] = parse_time_option(at, "--at", st.settings.zone)
        ids = [st.app.tracking.record(signal, now=datetime.now(UTC))]
    if as_json:
        print_json({"signal_ids": ids})
    else:
        for signal_id_ in ids:
            out.print(signal_id_, markup=False)


def _track_file(tracking: TrackingService, file: Path) -> list[str]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("--file", f"cannot read {str(file)!r} ({exc})") from None
    signals: list[SignalInput] = []  # a line that is no object is reported by the service
    line_numbers: list[int] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append((number, json_problem(exc)))
            continue
        if isinstance(data, dict):
            data.setdefault("source", CLI_SOURCE)
        signals.append(data)
        line_numbers.append(number)
    if not signals and not problems:
        raise InvalidInput("--file", f"holds no signals (got {str(file)!r})")
    now = datetime.now(UTC)
    try:
        tracking.validate_many(signals, now=now, strict=True)
    except InvalidBatch as exc:
        problems += [(line_numbers[i], str(error)) for i, error in exc.problems]
    if problems:
        listed = "\n".join(f"{file}:{line}: {why}" for line, why in sorted(problems))
        raise InvalidInput("--file", f"nothing stored; {len(problems)} bad line(s):\n{listed}")
    return tracking.record_many(signals, now=now, strict=True)


DEFAULT_ACTOR = "cli"


@app.command()
def close(
    ctx: typer.Context,
    signal_id: Annotated[str, typer.Argument(help="The signal's id.")],
    result: Annotated[str, typer.Option(help="win, loss or breakeven")],
    pnl: Annotated[
        str | None, typer.Option(metavar="PCT", help="PnL in %, e.g. 2.5 or -1.8")
    ] = None,
    actor: Annotated[
        str, typer.Option(help="Who closes it (kept in the history).")
    ] = DEFAULT_ACTOR,
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    override: Annotated[
        bool, typer.Option("--override", help="Correct a signal that is already closed.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Close a signal by hand as win, loss or breakeven."""
    st = state(ctx)
    record = st.app.tracking.close(
        signal_id,
        result=result,
        now=datetime.now(UTC),
        pnl_pct=None if pnl is None else to_number(pnl, "--pnl"),
        actor=actor,
        note=note,
        override=override,
    )
    _print_outcome(record, st.settings.zone, as_json, st.settings.lang)


def _print_outcome(
    record: SignalRecord | Journaled, zone: tzinfo, as_json: bool, lang: Lang
) -> None:
    if as_json:
        print_json(closing_json(record, zone))
        return
    out.print(f"{record.signal_id}: {record.result}", markup=False)
    if isinstance(record, Journaled):
        err.print(text("journal.kept", lang), markup=False)


@app.command()
def cancel(
    ctx: typer.Context,
    signal_id: Annotated[str, typer.Argument(help="The signal's id.")],
    actor: Annotated[str, typer.Option(help="Who cancels it.")] = DEFAULT_ACTOR,
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cancel an open signal (it leaves every winrate)."""
    st = state(ctx)
    record = st.app.tracking.cancel(signal_id, now=datetime.now(UTC), actor=actor, note=note)
    _print_outcome(record, st.settings.zone, as_json, st.settings.lang)


@app.command()
def show(
    ctx: typer.Context,
    signal_id: Annotated[str, typer.Argument(help="The signal's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one signal and its history."""
    st = state(ctx)
    zone = st.settings.zone
    tracking = st.app.tracking
    view = signal_view(tracking.get(signal_id), tracking.events(signal_id), zone)
    if as_json:
        print_json(view)
        return
    out.print(rich_table(signal_detail_table(view)))
    out.print("\n".join(history_lines(view)), markup=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="active or closed")] = None,
    since: Annotated[
        str | None, typer.Option(help="Created at or after (ISO-8601 or a date; display zone).")
    ] = None,
    limit: Annotated[
        str | None, typer.Option(metavar="N", help="At most this many (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List stored signals, newest first."""
    st = state(ctx)
    zone = st.settings.zone
    since_at = parse_time_option(since, "--since", zone) if since else None
    records = st.app.tracking.list_signals(
        status=status, since=since_at, limit=whole_number(limit, "--limit")
    )
    if as_json:
        print_json([record_json(r, zone) for r in records])
        return
    out.print(rich_table(signal_list_table(records, zone)))
