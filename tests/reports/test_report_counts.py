"""The weekly report reads its 90 days as the store's counts: the advice and the strategy
comparison it gets that way are those of the rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import update

from counting import assert_same_advice
from factories import make_signal
from sigtrack import Tracker
from sigtrack.adapters.storage import rollups
from sigtrack.adapters.storage.tables import signals
from sigtrack.core.advice import advise
from sigtrack.core.comparison import compare
from sigtrack.core.filters import SignalFilter
from sigtrack.core.records import Closing
from sigtrack.core.report import parse_week
from sigtrack.core.signals import ExitReason, Result
from sigtrack.services.ports import NewSignal
from sigtrack.services.reports import ADVICE_WINDOW, advise_window

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
COINS = {"BTCUSDT": 0.3, "ETHUSDT": 0.1, "DOGEUSDT": -0.8, "PEPEUSDT": -0.5, "FILUSDT": 0.0}
REASONS = (["Near demand zone"], ["Pump"], ["Dip: -3%", "Momentum"], [])


def fill(tracker: Tracker, strategies: dict[str, tuple[int, int, int]], seed: int = 5) -> None:
    """`strategies`: name → (first day back, last day back, signals); results drawn by
    coin edge, confidences on and off the band edges; most get an R (settled), a tenth
    closed by hand keep only a PnL."""
    rng = np.random.default_rng(seed)
    items = []
    for strategy, (first, last, count) in strategies.items():
        for i in range(count):
            coin = str(rng.choice(list(COINS)))
            at = NOW - timedelta(days=first - (first - last) * i / max(1, count - 1))
            at = at.replace(microsecond=0) + timedelta(seconds=int(rng.integers(0, 59)))
            value = COINS[coin] + float(rng.normal(0, 1.0))
            result = Result.CANCELLED if rng.random() < 0.03 else (
                Result.WIN if value > 0 else Result.LOSS)  # fmt: skip
            confidence = None if rng.random() < 0.1 else float(rng.choice([60, 75, 80.5, 92, 100]))
            signal = make_signal(
                symbol=coin, created_at=at, strategy=strategy, confidence=confidence,
                reasons=tuple(REASONS[int(rng.integers(0, len(REASONS)))]),
                timeframe=str(rng.choice(["5m", "1h"])),
            )  # fmt: skip
            closed = at + timedelta(hours=1)
            closing = Closing(result=result, exit_reason=ExitReason.MANUAL, closed_at=closed,
                              pnl_pct=round(value * 1.5, 4))  # fmt: skip
            items.append(NewSignal(signal=signal, closing=closing))
    store = tracker._app.store
    store.add_signals(items, now=NOW)
    with store.engine.begin() as conn:  # settled from candles: an R, below the API
        conn.execute(
            update(signals)
            .where(signals.c.id % 10 != 0, signals.c.result != Result.CANCELLED.value)
            .values(r_multiple=signals.c.pnl_pct / 1.5)
        )
        rollups.mark_all_days(conn)


@pytest.mark.parametrize("min_n", [5, 30])
def test_the_advice_from_counts_is_the_advice_from_the_rows(tracker: Tracker, min_n: int) -> None:
    fill(tracker, {"v2": (200, 60, 150), "v3": (80, 1, 650)})
    store = tracker._app.store
    until = NOW - timedelta(hours=3)
    since = until - ADVICE_WINDOW
    want = advise(store.load_frame(SignalFilter(since=since, until=until)), min_n=min_n)
    assert_same_advice(advise_window(store, since, until, min_n=min_n), want)
    assert want.metric.value == "r" and len(want.items) > 1


def test_the_strategy_comparison_from_counts_is_the_one_from_the_rows(tracker: Tracker) -> None:
    fill(tracker, {"v1": (300, 200, 40), "v2": (150, 40, 300), "v3": (60, 1, 500)})
    report = tracker.weekly(now=NOW)
    assert report.vs_previous_strategy is not None
    assert (report.vs_previous_strategy.previous, report.vs_previous_strategy.current) == (
        "v2", "v3",
    )  # fmt: skip
    store, week = tracker._app.store, parse_week(None, now=NOW, zone=tracker.settings.zone)
    since = week.until - ADVICE_WINDOW

    def side(name: str) -> SignalFilter:
        return SignalFilter(strategy=name, since=since, until=week.until)

    want = compare(store.load_outcomes(side("v2")), store.load_outcomes(side("v3")))
    got = report.vs_previous_strategy.comparison
    assert (got.a.winrate, got.b.winrate) == (want.a.winrate, want.b.winrate)
    assert (got.winrate_diff, got.fisher_p) == pytest.approx((want.winrate_diff, want.fisher_p))
    assert got.pnl_diff == pytest.approx(want.pnl_diff)
    assert got.pnl_diff_interval == pytest.approx(want.pnl_diff_interval)
    assert got.r_diff_interval == pytest.approx(want.r_diff_interval)
    assert (got.verdict_text, got.more_per_side) == (want.verdict_text, want.more_per_side)


@pytest.mark.parametrize(
    ("strategies", "previous"),
    [
        # several used in the 90 days: the one used last (found by halving the window)
        ({"v1": (80, 30, 20), "v2": (70, 12, 20), "v4": (85, 50, 10), "v3": (20, 1, 60)}, "v2"),
        ({"v1": (80, 9, 20), "v2": (70, 12, 20), "v3": (20, 1, 60)}, "v1"),
        # none in the 90 days: the last one before them, with nothing to compare
        ({"v1": (300, 200, 20), "v0": (400, 350, 5), "v3": (60, 1, 60)}, "v1"),
        # a small side: the bootstrap reads the rows
        ({"v2": (70, 12, 8), "v3": (20, 1, 60)}, "v2"),
    ],
)
def test_the_previous_strategy_is_the_other_one_used_last(
    tracker: Tracker, strategies: dict[str, tuple[int, int, int]], previous: str
) -> None:
    fill(tracker, strategies)
    report = tracker.weekly(now=NOW)
    week = report.week
    assert report.vs_previous_strategy is not None
    assert report.vs_previous_strategy.current == "v3"
    assert report.vs_previous_strategy.previous == previous
    store = tracker._app.store
    names = [name for name, _, _ in store.strategies(week.until) if name != "v3"]
    assert names[0] == previous  # the rule, read from every signal
    since = week.until - ADVICE_WINDOW
    want = compare(
        store.load_outcomes(SignalFilter(strategy=previous, since=since, until=week.until)),
        store.load_outcomes(SignalFilter(strategy="v3", since=since, until=week.until)),
    )
    got = report.vs_previous_strategy.comparison
    assert (got.a.decided, got.b.decided) == (want.a.decided, want.b.decided)
    assert got.pnl_diff_interval == pytest.approx(want.pnl_diff_interval)
    assert got.verdict_text == want.verdict_text
