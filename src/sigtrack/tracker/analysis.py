"""The numbers of the Python API: statistics, comparisons, advice, reports, what-if, tables.

`Tracker` inherits these; they read the store through the services and never write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from sigtrack.adapters.tabular import signals_table, write_table
from sigtrack.bootstrap import App, build_candle_source
from sigtrack.config import Settings
from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.advice import Advice, AdviceKind, advise
from sigtrack.core.breakdowns import (
    DEFAULT_MIN_N,
    Breakdown,
    BreakdownKey,
    parse_breakdown_key,
)
from sigtrack.core.comparison import SEED, Comparison, compare
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import SignalFilter, parse_filter
from sigtrack.core.performance import Performance, summarize
from sigtrack.core.records import SignalRecord
from sigtrack.core.report import WeeklyReport, parse_week
from sigtrack.core.report_html import render_weekly_html
from sigtrack.core.report_text import render_weekly_text
from sigtrack.core.stats import cohort_start
from sigtrack.core.texts import parse_lang
from sigtrack.core.whatif import DEFAULT_MIN_N as WHATIF_MIN_N
from sigtrack.core.whatif import (
    DEFAULT_STOPS,
    DEFAULT_TARGETS,
    Progress,
    Unit,
    WhatIf,
    whatif_advice,
)
from sigtrack.services.reports import build_weekly_report
from sigtrack.services.statistics import breakdown_for, run_whatif
from sigtrack.services.views import weekly_json

REPORT_FORMATS = ("text", "json", "html")


def now_or_clock(now: datetime | None) -> datetime:
    """The given instant, else the clock (UTC)."""
    return datetime.now(UTC) if now is None else now


_now = now_or_clock


def _matches(record: SignalRecord, chosen: SignalFilter) -> bool:
    """The filter's fields that `list_signals` does not apply itself."""
    s = record.signal
    checks = (
        (chosen.strategy, s.strategy),
        (chosen.symbol, s.symbol),
        (chosen.side, s.side.value),
        (chosen.timeframe, s.timeframe.value),
        (chosen.source, s.source),
    )
    if any(wanted is not None and wanted != value for wanted, value in checks):
        return False
    if chosen.until is not None and s.created_at >= chosen.until:
        return False
    if chosen.tag is not None and chosen.tag not in s.tags:
        return False
    return chosen.min_confidence is None or (
        s.confidence is not None and s.confidence >= chosen.min_confidence
    )


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
        key = parse_breakdown_key(by)
        moment = _now(now)
        if since is None:
            if days is None:
                raise InvalidInput("days", "give days or since")
            since = cohort_start(moment, days, self.settings.zone)
        return breakdown_for(
            self._app.store,
            key,
            since=since,
            until=until or moment,
            zone=self.settings.zone,
            min_n=min_n,
        )

    def compare(
        self, a: SignalFilter | str, b: SignalFilter | str, *, seed: int = SEED
    ) -> Comparison:
        """Signals matching `a` vs `b` (e.g. `strategy=v1` vs `strategy=v2`, or
        `until=2026-11-01` vs `since=2026-11-01`): winrate with Fisher's test, PnL and R
        with bootstrap intervals, and a plain verdict."""
        zone = self.settings.zone
        side_a = a if isinstance(a, SignalFilter) else parse_filter(a, zone, option="a")
        side_b = b if isinstance(b, SignalFilter) else parse_filter(b, zone, option="b")
        store = self._app.store
        return compare(store.load_outcomes(side_a), store.load_outcomes(side_b), seed=seed)

    def performance(self, chosen: SignalFilter | str = "") -> Performance:
        """The full summary (DESIGN §4) of the signals matching a filter."""
        zone = self.settings.zone
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, zone)
        return summarize(self._app.store.load_outcomes(chosen))

    def advise(
        self,
        chosen: SignalFilter | str = "",
        *,
        min_n: int = ADVICE_MIN_N,
        seed: int = SEED,
        candles: Path | str | None = None,
    ) -> Advice:
        """Confidence threshold sweep and credibly negative coins / timeframes / tags,
        each with its evidence; nothing is advised on fewer than `min_n` signals. With
        `candles` (files; or "exchange" for the configured one) the TP/SL what-if adds its
        best cell when it also beat the recorded levels out of sample."""
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, self.settings.zone)
        if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
            raise InvalidInput("min_n", f"must be a whole number >= 1 (got {min_n!r})")
        advice = advise(self._app.store.load_frame(chosen), min_n=min_n)
        if candles is None or (advice.items and advice.items[0].kind is AdviceKind.NOT_ENOUGH):
            return advice
        grid = self.whatif(
            candles=None if str(candles) == "exchange" else candles, chosen=chosen, min_n=min_n
        )
        return replace(advice, items=(*advice.items, *whatif_advice(grid)))

    def weekly(
        self, week: str | None = None, *, min_n: int = DEFAULT_MIN_N, now: datetime | None = None
    ) -> WeeklyReport:
        """The report of an ISO week (`2026-W47`; default: the last complete week)."""
        zone = self.settings.zone
        chosen = parse_week(week, now=_now(now), zone=zone)
        return build_weekly_report(self._app.store, chosen, zone=zone, min_n=min_n)

    def weekly_report(
        self,
        week: str | None = None,
        *,
        fmt: str = "text",
        lang: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """The weekly report rendered as `text` (Telegram), `json` or `html`."""
        if fmt not in REPORT_FORMATS:
            raise InvalidInput("fmt", f"must be one of {', '.join(REPORT_FORMATS)} (got {fmt!r})")
        language = self.settings.lang if lang is None else parse_lang(lang)
        report = self.weekly(week, now=now)
        if fmt == "json":
            return json.dumps(weekly_json(report, language), ensure_ascii=False, indent=2)
        if fmt == "html":
            return render_weekly_html(report, language)
        return render_weekly_text(report, language)

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
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, self.settings.zone)
        try:
            unit = Unit(unit)
        except ValueError:
            raise InvalidInput("unit", f"must be r or pct (got {unit!r})") from None
        path = None if candles is None else Path(candles)
        if path is not None and not path.exists():
            raise InvalidInput("candles", f"no such file or folder (got {str(path)!r})")
        source = build_candle_source(self.settings, candles=path)
        return run_whatif(self._app.store, source, self.settings.policy, chosen,
                          targets=targets, stops=stops, unit=unit, min_n=min_n,
                          progress=progress)  # fmt: skip

    # --- tables ------------------------------------------------------------------------

    def to_arrow(self, chosen: SignalFilter | str = "") -> Any:
        """The matching signals as a pyarrow.Table, one row per signal, oldest first."""
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, self.settings.zone)
        store = self._app.store
        return signals_table(
            r for r in store.list_signals(since=chosen.since, oldest_first=True)
            if _matches(r, chosen)
        )  # fmt: skip

    def to_pandas(self, chosen: SignalFilter | str = "") -> Any:
        """The matching signals as a pandas DataFrame (install `sigtrack[pandas]`)."""
        if find_spec("pandas") is None:
            raise InvalidInput("pandas", "is not installed: pip install 'sigtrack[pandas]'")
        return self.to_arrow(chosen).to_pandas()

    def export(
        self, path: Path | str, *, fmt: str = "parquet", chosen: SignalFilter | str = ""
    ) -> int:
        """Write the matching signals to a Parquet or CSV file; returns the rows written."""
        table = self.to_arrow(chosen)
        write_table(table, Path(path), fmt)
        return int(table.num_rows)
