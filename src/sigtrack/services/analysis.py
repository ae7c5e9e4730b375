"""The read use cases: breakdowns, comparisons, summaries, advice, what-if, the weekly
report and the signal table. The `Tracker`, the CLI, the bot and the API all call these.

Results are plain values (core dataclasses); rendering them is `sigtrack.core.render`'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path

from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.advice import Advice, AdviceKind, advise
from sigtrack.core.breakdowns import DEFAULT_MIN_N, Breakdown, BreakdownKey, parse_breakdown_key
from sigtrack.core.comparison import SEED, Comparison, compare
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import SignalFilter, parse_filter
from sigtrack.core.overview import Overview
from sigtrack.core.performance import Performance, summarize
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.records import SignalRecord
from sigtrack.core.report import WeeklyReport, parse_week
from sigtrack.core.stats import cohort_start
from sigtrack.core.whatif import DEFAULT_MIN_N as WHATIF_MIN_N
from sigtrack.core.whatif import (
    DEFAULT_STOPS,
    DEFAULT_TARGETS,
    Progress,
    Unit,
    WhatIf,
    whatif_advice,
)
from sigtrack.services.overview import build_overview
from sigtrack.services.ports import CandleSources, SignalStore, SignalTableWriter
from sigtrack.services.reports import build_weekly_report
from sigtrack.services.statistics import breakdown_for, run_whatif
from sigtrack.services.status import open_list

EXCHANGE = "exchange"  # `candles=` naming the configured exchange rather than files


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisService:
    """Read-only numbers over the store, in the display zone and the settling policy."""

    store: SignalStore
    zone: tzinfo
    policy: ResolutionPolicy
    candle_sources: CandleSources
    write_table: SignalTableWriter

    def chosen(self, value: SignalFilter | str, *, option: str = "filter") -> SignalFilter:
        """A filter as given, or read from `key=value,…` (dates in the display zone)."""
        if isinstance(value, SignalFilter):
            return value
        return parse_filter(value, self.zone, option=option)

    def window(
        self,
        *,
        now: datetime,
        days: int | None = 30,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[datetime, datetime]:
        """[since, until) of a breakdown: the last `days` days (display zone) up to now,
        unless given."""
        if since is None:
            if days is None:
                raise InvalidInput("days", "give days or since")
            since = cohort_start(now, days, self.zone)
        return since, until or now

    def stats(
        self,
        by: BreakdownKey | str,
        *,
        since: datetime,
        until: datetime,
        min_n: int = DEFAULT_MIN_N,
    ) -> Breakdown:
        """Winrate, interval, PnL and expectancy per `by` of the signals created in
        [since, until)."""
        key = parse_breakdown_key(by)
        return breakdown_for(self.store, key, since=since, until=until, zone=self.zone,
                             min_n=min_n)  # fmt: skip

    def overview(
        self,
        *,
        now: datetime,
        days: int | None = 30,
        since: datetime | None = None,
        until: datetime | None = None,
        min_n: int = DEFAULT_MIN_N,
    ) -> Overview:
        """The dashboard's window: the last `days` days up to now (display zone), or
        [since, until); the open signals beside it."""
        start, end = self.window(now=now, days=days, since=since, until=until)
        if end <= start:
            raise InvalidInput("until", f"must be after since (got {start.isoformat()} .. "
                               f"{end.isoformat()})")  # fmt: skip
        return build_overview(self.store, since=start, until=end,
                              days=None if since is not None else days, zone=self.zone,
                              open_signals=open_list(self.store, now=now),
                              min_n=min_n)  # fmt: skip

    def compare(
        self, a: SignalFilter | str, b: SignalFilter | str, *, seed: int = SEED
    ) -> Comparison:
        side_a, side_b = self.chosen(a, option="a"), self.chosen(b, option="b")
        return compare(self.store.load_outcomes(side_a), self.store.load_outcomes(side_b),
                       seed=seed)  # fmt: skip

    def performance(self, chosen: SignalFilter | str = "") -> Performance:
        return summarize(self.store.load_outcomes(self.chosen(chosen)))

    def advise(
        self,
        chosen: SignalFilter | str = "",
        *,
        min_n: int = ADVICE_MIN_N,
        candles: Path | str | None = None,
    ) -> Advice:
        """The advice over the matching signals; with `candles` (files, or "exchange") the
        TP/SL what-if adds its best cell when it also beat the recorded levels out of
        sample."""
        selected = self.chosen(chosen)
        if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
            raise InvalidInput("min_n", f"must be a whole number >= 1 (got {min_n!r})")
        advice = advise(self.store.load_frame(selected), min_n=min_n)
        if candles is None or (advice.items and advice.items[0].kind is AdviceKind.NOT_ENOUGH):
            return advice
        files = None if str(candles) == EXCHANGE else candles
        grid = self.whatif(candles=files, chosen=selected, min_n=min_n)
        return replace(advice, items=(*advice.items, *whatif_advice(grid)))

    def weekly(
        self, week: str | None = None, *, now: datetime, min_n: int = DEFAULT_MIN_N
    ) -> WeeklyReport:
        """The report of an ISO week (`2026-W47`; None: the last complete week)."""
        chosen = parse_week(week, now=now, zone=self.zone)
        return build_weekly_report(self.store, chosen, zone=self.zone, min_n=min_n)

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
        """Re-settle the matching signals with a grid of target and stop distances (in R or
        %) on candle files, or the exchange when none are given."""
        selected = self.chosen(chosen)
        try:
            unit = Unit(unit)
        except ValueError:
            raise InvalidInput("unit", f"must be r or pct (got {unit!r})") from None
        source = self.candle_sources(candles=None if candles is None else Path(candles))
        return run_whatif(self.store, source, self.policy, selected, targets=targets,
                          stops=stops, unit=unit, min_n=min_n, progress=progress)  # fmt: skip

    def records(self, chosen: SignalFilter | str = "") -> Iterator[SignalRecord]:
        """The matching signals, oldest first (the store applies the filter)."""
        return self.store.list_matching(self.chosen(chosen))

    def export(
        self, path: Path | str, *, fmt: str = "parquet", chosen: SignalFilter | str = ""
    ) -> int:
        """Write the matching signals as one table file; returns the rows written."""
        return self.write_table(self.records(chosen), Path(path), fmt)
