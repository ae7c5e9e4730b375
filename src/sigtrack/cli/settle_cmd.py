"""`sigtrack resolve` (one settling pass) and `sigtrack monitor` (passes until stopped)."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from sigtrack.cli.app import app, out, print_json, state
from sigtrack.cli.signals_cmd import parse_time_option, whole_number
from sigtrack.core.errors import InvalidInput
from sigtrack.core.outcomes import ms_to_datetime
from sigtrack.core.render.values import iso
from sigtrack.core.signals import normalize_symbol
from sigtrack.core.texts import Lang, format_pct, text
from sigtrack.services.settling import PassReport, run_monitor

CandlesOption = Annotated[
    Path | None,
    typer.Option(
        "--candles",
        help="Candle files: a folder of SYMBOL.csv / SYMBOL.parquet, or one file with "
        "--symbol. Default: the configured exchange (cached under signal_logs/candles).",
    ),
]
SymbolOption = Annotated[
    str | None, typer.Option("--symbol", help="Only this symbol (required with one file).")
]


@app.command()
def resolve(
    ctx: typer.Context,
    candles: CandlesOption = None,
    symbol: SymbolOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Settle as if it were this time (ISO-8601).")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Settle the open signals once from candles: TP hits, closes, PnL, MFE / MAE."""
    st = state(ctx)
    zone = st.settings.zone
    now = parse_time_option(as_of, "--as-of", zone) if as_of else None
    _check_candles(candles)
    report = st.tracker.resolve(candles=candles, symbol=symbol, now=now)
    if as_json:
        print_json(pass_json(report, zone))
    else:
        out.print(render_pass(report, zone, st.language(lang)), markup=False)


@app.command()
def monitor(
    ctx: typer.Context,
    every: Annotated[str, typer.Option("--every", metavar="SECONDS")] = "60",
    candles: CandlesOption = None,
    symbol: SymbolOption = None,
    passes: Annotated[
        str | None, typer.Option("--passes", metavar="N", help="Stop after N passes.")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
) -> None:
    """Settle the open signals every --every seconds until stopped (Ctrl-C or SIGTERM)."""
    st = state(ctx)
    every_s = _seconds(every)
    max_passes = whole_number(passes, "--passes")
    if max_passes is not None and max_passes < 1:
        raise InvalidInput("--passes", f"must be at least 1 (got {passes!r})")
    _check_candles(candles)
    service = st.tracker.settler(candles=candles, symbol=symbol)
    language, zone = st.language(lang), st.settings.zone
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        out.print(f"stopping ({signal.Signals(signum).name}) …", markup=False)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    out.print(
        f"monitor: every {every_s:g}s, {service.source_name}; "
        + text("settle.rule", language, rule=st.settings.policy.describe()),
        markup=False,
    )
    try:
        run_monitor(
            service,
            every_s=every_s,
            stop=stop,
            clock=lambda: datetime.now(UTC),
            max_passes=max_passes,
            on_pass=lambda report: out.print(render_pass(report, zone, language), markup=False),
            symbols=None if symbol is None else {normalize_symbol(symbol)},
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _check_candles(candles: Path | None) -> None:
    if candles is not None and not candles.exists():
        raise InvalidInput("--candles", f"no such file or folder (got {str(candles)!r})")


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise InvalidInput("--every", f"must be a number of seconds (got {value!r})") from None
    if not 1 <= seconds <= 86_400:
        raise InvalidInput("--every", f"must be between 1 and 86400 seconds (got {value!r})")
    return seconds


def render_pass(report: PassReport, zone: tzinfo, lang: Lang) -> str:
    hits = sum(len(change.new_hits) for change in report.changes)
    lines = [
        text(
            "settle.summary",
            lang,
            checked=report.checked,
            symbols=report.symbols,
            closed=len(report.closed),
            hits=hits,
            open=report.still_open,
        )
    ]
    for change in report.changes:
        outcome = change.outcome
        for number in change.new_hits:
            at = iso(ms_to_datetime(outcome.legs[number - 1].hit_ms), zone)
            lines.append(text("settle.tp_hit", lang, signal_id=change.signal_id, target=number,
                              at=at))  # fmt: skip
        if change.is_closed:
            ambiguous = text("settle.ambiguous", lang, rule=outcome.rule)
            lines.append(
                text(
                    "settle.closed",
                    lang,
                    signal_id=change.signal_id,
                    result=outcome.result,
                    reason=outcome.exit_reason,
                    pnl=format_pct(outcome.pnl_pct, signed=True, digits=2),
                    at=iso(outcome.closed_at, zone),
                    ambiguous=ambiguous if outcome.is_ambiguous else "",
                )
            )
    for symbol, reason in report.failures:
        lines.append(text("settle.failed", lang, symbol=symbol, reason=reason))
    return "\n".join(lines)


def pass_json(report: PassReport, zone: tzinfo) -> dict[str, Any]:
    return {
        "checked": report.checked,
        "symbols": report.symbols,
        "rule": report.rule,
        "closed": len(report.closed),
        "tp_hits": sum(len(change.new_hits) for change in report.changes),
        "still_open": report.still_open,
        "changes": [
            {
                "signal_id": change.signal_id,
                "new_tp_hits": list(change.new_hits),
                "status": change.outcome.status.value,
                "result": change.outcome.result.value if change.outcome.result else None,
                "exit_reason": change.outcome.exit_reason.value
                if change.outcome.exit_reason
                else None,
                "pnl_pct": change.outcome.pnl_pct,
                "r_multiple": change.outcome.r_multiple,
                "closed_at": iso(change.outcome.closed_at, zone),
                "ambiguous": change.outcome.is_ambiguous,
            }
            for change in report.changes
        ],
        "failures": [{"symbol": s, "reason": r} for s, r in report.failures],
    }
