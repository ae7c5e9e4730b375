"""Building the weekly report from the store (the numbers come from the core)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta, tzinfo

from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.advice import advise
from sigtrack.core.breakdowns import DEFAULT_MIN_N, Breakdown, BreakdownKey
from sigtrack.core.comparison import SEED, compare
from sigtrack.core.filters import SignalFilter
from sigtrack.core.performance import equity_curve, summarize
from sigtrack.core.report import StrategyComparison, Week, WeeklyReport, summarize_activity
from sigtrack.services.ports import SignalStore
from sigtrack.services.statistics import breakdown_for

ADVICE_WINDOW = timedelta(days=90)  # advice reads the record of the 90 days up to the week's end


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

    def by(key: BreakdownKey) -> Breakdown:
        return breakdown_for(store, key, since=week.since, until=week.until, zone=zone,
                             min_n=min_n)  # fmt: skip

    times, equity = equity_curve(frame.outcomes)
    history = store.load_frame(SignalFilter(since=week.until - ADVICE_WINDOW, until=week.until))
    return WeeklyReport(
        week=week,
        zone=str(zone),
        performance=summarize(frame.outcomes),
        previous_week=summarize(earlier),
        vs_previous_week=compare(earlier, frame.outcomes, seed=seed),
        vs_previous_strategy=_strategies(store, frame.strategy.tolist(), week, seed),
        by_symbol=by(BreakdownKey.SYMBOL),
        by_side=by(BreakdownKey.SIDE),
        by_tag=by(BreakdownKey.TAG),
        by_timeframe=by(BreakdownKey.TIMEFRAME),
        by_confidence=by(BreakdownKey.CONFIDENCE),
        activity=summarize_activity(
            store.list_activity(since=week.since, until=week.until), week, zone
        ),
        advice=advise(history, min_n=advice_min_n, seed=seed),
        equity=tuple(zip(times, equity, strict=True)),
    )


def _strategies(
    store: SignalStore, used: list[str], week: Week, seed: int
) -> StrategyComparison | None:
    """This week's strategy (the most used) against the one used before it, over the 90
    days up to the week's end."""
    if not used:
        return None
    current = Counter(used).most_common(1)[0][0]
    others = [name for name, _, _ in store.strategies(week.until) if name != current]
    if not others:
        return None
    previous = others[0]
    since = week.until - ADVICE_WINDOW  # the same recent record the advice reads
    comparison = compare(
        store.load_outcomes(SignalFilter(strategy=previous, since=since, until=week.until)),
        store.load_outcomes(SignalFilter(strategy=current, since=since, until=week.until)),
        seed=seed,
    )
    return StrategyComparison(current=current, previous=previous, comparison=comparison)
