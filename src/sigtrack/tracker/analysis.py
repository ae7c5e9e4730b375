"""The numbers of the Python API: statistics, comparisons, advice, reports, what-if, tables.

`Tracker` inherits these; each calls the analysis service (services/analysis.py) and, for
the rendered report, core/render. Nothing is computed or formatted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from sigtrack.adapters.tabular import signals_table
from sigtrack.bootstrap import App
from sigtrack.config import Settings
from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.advice import Advice
from sigtrack.core.breakdowns import DEFAULT_MIN_N, Breakdown, BreakdownKey
from sigtrack.core.comparison import SEED, Comparison
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import SignalFilter
from sigtrack.core.performance import Performance
from sigtrack.core.render.report import check_report_format, render_weekly
from sigtrack.core.report import WeeklyReport
from sigtrack.core.texts import parse_lang
from sigtrack.core.whatif import DEFAULT_MIN_N as WHATIF_MIN_N
from sigtrack.core.whatif import DEFAULT_STOPS, DEFAULT_TARGETS, Progress, Unit, WhatIf


def now_or_clock(now: datetime | None) -> datetime:
    """The given instant, else the clock (UTC)."""
    return datetime.now(UTC) if now is None else now


class Analysis:
    """Read-only numbers over the store (mixed into `Tracker`)."""

    _app: App

    @property
    def settings(self) -> Settings:
        return self._app.settings

    def stats(
        self,
        by: BreakdownKey | str = BreakdownKey.SYMBOL,
        *,
        days: int | None = 30,
        since: datetime | None = None,
        until: datetime | None = None,
        min_n: int = DEFAULT_MIN_N,
        now: datetime | None = None,
    ) -> Breakdown:
        """Winrate, interval, PnL and expectancy per symbol / timeframe / side / tag /
        strategy / confidence band / hour / weekday, over the last `days` days (display
        zone) or [since, until)."""
        service = self._app.analysis
        start, end = service.window(now=now_or_clock(now), days=days, since=since, until=until)
        return service.stats(by, since=start, until=end, min_n=min_n)

    def compare(
        self, a: SignalFilter | str, b: SignalFilter | str, *, seed: int = SEED
    ) -> Comparison:
        """Signals matching `a` vs `b` (e.g. `strategy=v1` vs `strategy=v2`, or
        `until=2026-11-01` vs `since=2026-11-01`): winrate with Fisher's test, PnL and R
        with bootstrap intervals, and a plain verdict."""
        return self._app.analysis.compare(a, b, seed=seed)

    def performance(self, chosen: SignalFilter | str = "") -> Performance:
        """The full summary (DESIGN §4) of the signals matching a filter."""
        return self._app.analysis.performance(chosen)

    def advise(
        self,
        chosen: SignalFilter | str = "",
        *,
        min_n: int = ADVICE_MIN_N,
        candles: Path | str | None = None,
    ) -> Advice:
        """Confidence threshold sweep and credibly negative coins / timeframes / tags,
        each with its evidence; nothing is advised on fewer than `min_n` signals. With
        `candles` (files; or "exchange" for the configured one) the TP/SL what-if adds its
        best cell when it also beat the recorded levels out of sample."""
        return self._app.analysis.advise(chosen, min_n=min_n, candles=candles)

    def weekly(
        self, week: str | None = None, *, min_n: int = DEFAULT_MIN_N, now: datetime | None = None
    ) -> WeeklyReport:
        """The report of an ISO week (`2026-W47`; default: the last complete week)."""
        return self._app.analysis.weekly(week, now=now_or_clock(now), min_n=min_n)

    def weekly_report(
        self,
        week: str | None = None,
        *,
        fmt: str = "text",
        lang: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """The weekly report rendered as `text` (Telegram), `json` or `html`."""
        check_report_format(fmt)
        language = self.settings.lang if lang is None else parse_lang(lang)
        return render_weekly(self.weekly(week, now=now), fmt, language)

    def whatif(
        self,
        *,
        candles: Path | str | None = None,
        chosen: SignalFilter | str = "",
        targets: Sequence[float] = DEFAULT_TARGETS,
        stops: Sequence[float] = DEFAULT_STOPS,
        unit: Unit | str = Unit.R,
        min_n: int = WHATIF_MIN_N,
        progress: Progress | None = None,
    ) -> WhatIf:
        """Re-settle the recorded signals with a grid of target and stop distances (in R or
        %) on stored candles (files, or the exchange through the cache); the best cells are
        chosen on the earlier 60 % of the record and judged on the later 40 %."""
        return self._app.analysis.whatif(candles=candles, chosen=chosen, targets=targets,
                                         stops=stops, unit=unit, min_n=min_n,
                                         progress=progress)  # fmt: skip

    # --- tables ------------------------------------------------------------------------

    def to_arrow(self, chosen: SignalFilter | str = "") -> Any:
        """The matching signals as a pyarrow.Table, one row per signal, oldest first."""
        return signals_table(self._app.analysis.records(chosen))

    def to_pandas(self, chosen: SignalFilter | str = "") -> Any:
        """The matching signals as a pandas DataFrame (install `sigtrack[pandas]`)."""
        if find_spec("pandas") is None:
            raise InvalidInput("pandas", "is not installed: pip install 'sigtrack[pandas]'")
        return self.to_arrow(chosen).to_pandas()

    def export(
        self, path: Path | str, *, fmt: str = "parquet", chosen: SignalFilter | str = ""
    ) -> int:
        """Write the matching signals to a Parquet or CSV file; returns the rows written."""
        return self._app.analysis.export(path, fmt=fmt, chosen=chosen)
