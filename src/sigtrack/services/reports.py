"""Building the weekly report from the store (the numbers come from the core).

The week and the week before are read as rows: their summaries need them (median,
drawdown, equity). The 90 days that the advice and the strategy comparison look at are
read as the store's counts per group, and as rows only where a small side of the strategy
comparison is bootstrapped.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta, tzinfo

from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.advice import Advice, AdviceCounts, advise_counts
from sigtrack.core.breakdowns import DEFAULT_MIN_N, Breakdown, BreakdownKey
from sigtrack.core.comparison import SEED, compare, compare_counts, needs_rows
from sigtrack.core.filters import SignalFilter
from sigtrack.core.performance import equity_curve, summarize
from sigtrack.core.report import StrategyComparison, Week, WeeklyReport, summarize_activity
from sigtrack.core.stats import ResultCounts
from sigtrack.services.ports import SignalStore
from sigtrack.services.statistics import breakdown_for

ADVICE_WINDOW = timedelta(days=90)  # advice reads the record of the 90 days up to the week's end
_NONE = ResultCounts(by_result={})


def build_weekly_report(
    store: SignalStore,
    week: Week,
    *,
    zone: tzinfo,
    min_n: int = DEFAULT_MIN_N,
    advice_min_n: int = ADVICE_MIN_N,
    seed: int = SEED,
) -> WeeklyReport:
    before = week.previous()
    frame = store.load_frame(SignalFilter(since=week.since, until=week.until))
    earlier = store.load_outcomes(SignalFilter(since=before.since, until=before.until))
    recent = week.until - ADVICE_WINDOW

    def by(key: BreakdownKey) -> Breakdown:
        return breakdown_for(store, key, since=week.since, until=week.until, zone=zone,
                             min_n=min_n)  # fmt: skip

    times, equity = equity_curve(frame.outcomes)
    return WeeklyReport(
        week=week,
        zone=str(zone),
        performance=summarize(frame.outcomes),
        previous_week=summarize(earlier),
        vs_previous_week=compare(earlier, frame.outcomes, seed=seed),
        vs_previous_strategy=_strategies(store, frame.strategy.tolist(), recent, week.until, seed),
        by_symbol=by(BreakdownKey.SYMBOL),
        by_side=by(BreakdownKey.SIDE),
        by_tag=by(BreakdownKey.TAG),
        by_timeframe=by(BreakdownKey.TIMEFRAME),
        by_confidence=by(BreakdownKey.CONFIDENCE),
        activity=summarize_activity(
            store.list_activity(since=week.since, until=week.until), week, zone
        ),
        advice=advise_window(store, recent, week.until, min_n=advice_min_n),
        equity=tuple(zip(times, equity, strict=True)),
    )


def advise_window(
    store: SignalStore, since: datetime, until: datetime, *, min_n: int = ADVICE_MIN_N
) -> Advice:
    """`advise` of the signals created in [since, until), from the store's sums per group
    alone (no rows are read)."""
    counts = AdviceCounts(
        symbol=store.grouped_counts(BreakdownKey.SYMBOL, since, until),
        timeframe=store.grouped_counts(BreakdownKey.TIMEFRAME, since, until),
        tag=store.grouped_counts(BreakdownKey.TAG, since, until),
        confidence=store.grouped_counts(BreakdownKey.CONFIDENCE, since, until),
    )
    return advise_counts(counts, min_n=min_n)


def _strategies(
    store: SignalStore, used: list[str], since: datetime, until: datetime, seed: int
) -> StrategyComparison | None:
    """This week's strategy (the most used) against the one used before it, over the 90
    days up to the week's end."""
    if not used:
        return None
    current = Counter(used).most_common(1)[0][0]
    counts = store.grouped_counts(BreakdownKey.STRATEGY, since, until)
    previous = _previous_strategy(store, current, set(counts) - {current}, since, until)
    if previous is None:
        return None
    a, b = counts.get(previous, _NONE), counts.get(current, _NONE)
    rows = None
    if needs_rows(a, b):  # a side small enough for the bootstrap, which draws values
        rows = (
            store.load_outcomes(SignalFilter(strategy=previous, since=since, until=until)),
            store.load_outcomes(SignalFilter(strategy=current, since=since, until=until)),
        )
    comparison = compare_counts(a, b, rows=rows, seed=seed)
    return StrategyComparison(current=current, previous=previous, comparison=comparison)


def _previous_strategy(
    store: SignalStore, current: str, others: set[str], since: datetime, until: datetime
) -> str | None:
    """The strategy other than `current` used last before `until`; `others` are those
    used in [since, until)."""
    if len(others) == 1:
        return others.pop()
    if not others:  # none in the window: the last one before it (nothing to compare)
        return next((name for name, _, _ in store.strategies(until) if name != current), None)
    # Several: narrow the window to the day of their last use by halves, from the counts
    # (whole days come from the daily sums); then order that day's strategies.
    low, high = since, until  # one of them used in [low, until), none in [high, until)
    while (middle := _midnight_between(low, high)) is not None:
        if others & set(store.grouped_counts(BreakdownKey.STRATEGY, middle, until)):
            low = middle
        else:
            high = middle
    return next(name for name, _, _ in store.strategies_between(low, high) if name in others)


def _midnight_between(low: datetime, high: datetime) -> datetime | None:
    """A UTC midnight strictly inside (low, high), near the middle; None if there is none."""
    middle = (low + (high - low) / 2).astimezone(UTC)
    day = datetime.combine(middle.date(), time(0), tzinfo=UTC)
    if day <= low:
        day += timedelta(days=1)
    return day if day < high else None
