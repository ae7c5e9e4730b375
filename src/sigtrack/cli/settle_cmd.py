"""`sigtrack resolve` (one settling pass) and `sigtrack monitor` (passes until stopped)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from sigtrack.cli.app import app, err, out, print_json, state
from sigtrack.cli.signals_cmd import parse_time_option, whole_number
from sigtrack.core.errors import InvalidInput
from sigtrack.core.render.settling import pass_json, pass_text
from sigtrack.core.signals import normalize_symbol
from sigtrack.core.texts import text
from sigtrack.services.settling import run_monitor

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
    now = parse_time_option(as_of, "--as-of", zone) if as_of else datetime.now(UTC)
    service = st.app.settling(candles=candles, symbol=symbol)
    with PassProgress(err) as progress:
        report = service.run_pass(now=now, symbols=only(symbol), progress=progress)
    if as_json:
        print_json(pass_json(report, zone))
    else:
        out.print(pass_text(report, zone, st.language(lang)), markup=False)


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
    service = st.app.settling(candles=candles, symbol=symbol)
    language, zone = st.language(lang), st.settings.zone
    stop = StopRequest()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
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
            on_pass=lambda report: out.print(pass_text(report, zone, language), markup=False),
            symbols=only(symbol),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stop.signal_name is not None:
        out.print(f"stopping ({stop.signal_name}) …", markup=False)


class StopRequest(threading.Event):
    """The monitor's SIGINT / SIGTERM handler: it only sets the event and keeps the signal's
    name, which the command prints once the loop has ended. (A print inside the handler
    can interrupt a pass's own print, and the console then writes that pass's lines twice.)"""

    def __init__(self) -> None:
        super().__init__()
        self.signal_name: str | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
        self.set()


def only(symbol: str | None) -> set[str] | None:
    """The symbols a pass is limited to: the one given, or all (None)."""
    return None if symbol is None else {normalize_symbol(symbol)}


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise InvalidInput("--every", f"must be a number of seconds (got {value!r})") from None
    if not 1 <= seconds <= 86_400:
        raise InvalidInput("--every", f"must be between 1 and 86400 seconds (got {value!r})")
    return seconds


class PassProgress:
    """A progress bar of a pass on stderr: only on a terminal, and only once the pass has
    taken more than `after_s` (a quick pass, a pipe or a test shows nothing)."""

    def __init__(
        self,
        console: Console,
        *,
        after_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console = console
        self._after_s = after_s
        self._clock = clock
        self._started = clock()
        self._bar: Progress | None = None
        self._task = TaskID(0)

    def __enter__(self) -> PassProgress:
        self._started = self._clock()
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if not self._console.is_terminal or self._clock() - self._started < self._after_s:
                return
            self._bar = Progress(
                TextColumn("settling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=self._console, transient=True,
            )  # fmt: skip
            self._task = self._bar.add_task("settling", total=total)
            self._bar.start()
        self._bar.update(self._task, completed=done, total=total)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
