"""The numbers of DESIGN §4: the Wilson interval, the cohort window and the winrate summary."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from statistics import NormalDist
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from factories import summarize
from sigtrack.core.errors import InvalidInput
from sigtrack.core.signals import Result
from sigtrack.core.stats import (
    Z_95,
    PnlSplit,
    ResultCounts,
    cohort_start,
    summarize_counts,
    summarize_winrate,
    wilson_interval,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # 17:00 WIB


def reference_wilson(successes: int, trials: int) -> tuple[float, float]:
    """The roots in p of (p̂ − p)² = z² p (1 − p) / n, solved as a quadratic."""
    z = NormalDist().inv_cdf(0.975)
    p_hat, k = successes / trials, z * z / trials
    a, b, c = 1 + k, -(2 * p_hat + k), p_hat * p_hat
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


# --- wilson_interval ---------------------------------------------------------------


def test_z_is_the_two_sided_95_percent_normal_quantile() -> None:
    assert pytest.approx(NormalDist().inv_cdf(0.975), abs=1e-12) == Z_95


@pytest.mark.parametrize("trials", [0, -1])
def test_no_trials_give_no_interval(trials: int) -> None:
    assert wilson_interval(0, trials) is None


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 10, 0.0179, 0.4042),
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), method 3
        (15, 148, 0.0624, 0.1605),  # Newcombe (1998), method 3
    ],
)
def test_wilson_interval_matches_published_values(
    successes: int, trials: int, low: float, high: float
) -> None:
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(("successes", "trials"), [(32, 45), (7, 9), (1, 1), (250, 1000)])
def test_wilson_interval_matches_the_quadratic_solved_independently(
    successes: int, trials: int
) -> None:
    assert wilson_interval(successes, trials) == pytest.approx(
        reference_wilson(successes, trials), abs=1e-12
    )


def test_the_old_example_32_of_45_is_about_57_to_82_percent() -> None:
    assert wilson_interval(32, 45) == pytest.approx((0.5663, 0.8227), abs=1e-4)


@pytest.mark.parametrize(("successes", "trials"), [(0, 3), (10, 10)])
def test_all_or_nothing_gives_exact_bounds_of_0_and_1(successes: int, trials: int) -> None:
    interval = wilson_interval(successes, trials)
    assert interval is not None
    low, high = interval
    assert low <= successes / trials <= high


_COUNTS = st.tuples(st.integers(0, 2000), st.integers(1, 2000)).map(
    lambda pair: (pair[0] % (pair[1] + 1), pair[1])
)


@settings(max_examples=50)
@given(_COUNTS)
def test_the_interval_lies_in_0_1_and_contains_the_observed_rate(counts: tuple[int, int]) -> None:
    successes, trials = counts
    interval = wilson_interval(successes, trials)
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= high <= 1.0
    assert low - 1e-12 <= successes / trials <= high + 1e-12


@settings(max_examples=50)
@given(_COUNTS, st.integers(min_value=2, max_value=20))
def test_the_interval_narrows_as_n_grows_for_the_same_rate(
    counts: tuple[int, int], factor: int
) -> None:
    successes, trials = counts
    small, large = (
        wilson_interval(successes, trials),
        wilson_interval(successes * factor, trials * factor),
    )
    assert small is not None
    assert large is not None
    assert large[1] - large[0] < small[1] - small[0]


@settings(max_examples=50)
@given(_COUNTS)
def test_the_interval_of_failures_mirrors_the_interval_of_successes(
    counts: tuple[int, int],
) -> None:
    successes, trials = counts
    wins, losses = wilson_interval(successes, trials), wilson_interval(trials - successes, trials)
    assert wins is not None
    assert losses is not None
    assert wins == pytest.approx((1 - losses[1], 1 - losses[0]), abs=1e-12)


# --- cohort_start ------------------------------------------------------------------


def jakarta_midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("now", "days", "start"),
    [
        (NOW, 1, jakarta_midnight(2026, 1, 5)),
        (NOW, 7, jakarta_midnight(2025, 12, 30)),
        (NOW, 30, jakarta_midnight(2025, 12, 7)),
        # 20:00 UTC is already 03:00 on the 6th in Jakarta
        (datetime(2026, 1, 5, 20, 0, tzinfo=UTC), 1, jakarta_midnight(2026, 1, 6)),
        (datetime(2026, 1, 5, 20, 0, tzinfo=UTC), 7, jakarta_midnight(2025, 12, 31)),
        # 16:59:59 UTC is 23:59:59 on the 5th; one second later it is the 6th
        (datetime(2026, 1, 5, 16, 59, 59, tzinfo=UTC), 1, jakarta_midnight(2026, 1, 5)),
        (datetime(2026, 1, 5, 17, 0, tzinfo=UTC), 1, jakarta_midnight(2026, 1, 6)),
    ],
)
def test_cohort_start_is_local_midnight_days_minus_one_before_today(
    now: datetime, days: int, start: datetime
) -> None:
    assert cohort_start(now, days, JAKARTA) == start


def test_one_day_starts_at_jakarta_midnight_which_is_17_utc_the_day_before() -> None:
    assert cohort_start(NOW, 1, JAKARTA) == datetime(2026, 1, 4, 17, 0, tzinfo=UTC)


def test_the_same_instant_in_another_zone_gives_the_same_start() -> None:
    assert cohort_start(NOW.astimezone(JAKARTA), 7, JAKARTA) == cohort_start(NOW, 7, JAKARTA)


@pytest.mark.parametrize("days", [0, -1, 36_501, True, 7.0, "7", None])
def test_bad_days_are_refused_naming_days(days: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        cohort_start(NOW, days, JAKARTA)
    assert caught.value.field == "days"
    assert repr(days) in str(caught.value)


@settings(max_examples=50)
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=1, max_value=400),
)
def test_the_window_starts_at_a_local_midnight_and_spans_the_days_asked(
    now: datetime, days: int
) -> None:
    start = cohort_start(now, days, JAKARTA)
    local = start.astimezone(JAKARTA)
    assert local.time() == time(0)
    assert start <= now
    assert timedelta(days=days - 1) <= now - start < timedelta(days=days)


# --- summarize_winrate -------------------------------------------------------------


def test_the_old_example_45_signals_32_wins_is_71_1_percent() -> None:
    summary = summarize(win=32, loss=13, pnl_sum=81.0, pnl_count=45)
    assert (summary.total, summary.wins, summary.losses, summary.decided) == (45, 32, 13, 45)
    assert summary.winrate == pytest.approx(32 / 45)
    assert summary.winrate_pct == pytest.approx(71.111, abs=1e-3)
    assert summary.interval == pytest.approx(reference_wilson(32, 45), abs=1e-12)
    assert summary.interval_pct == pytest.approx((56.63, 82.27), abs=1e-2)
    assert summary.avg_pnl_pct == pytest.approx(1.8)
    assert (summary.days, summary.until) == (7, NOW)


@pytest.mark.parametrize(
    "by", [{}, {"expired": 3}, {"breakeven": 2, "expired": 1}, {"cancelled": 4}]
)
def test_nothing_decided_gives_no_winrate_never_zero(by: dict[str, int]) -> None:
    summary = summarize(open_=5, **by)
    assert summary.winrate is None
    assert summary.winrate_pct is None
    assert summary.interval is None
    assert summary.interval_pct is None
    assert summary.open == 5


def test_zero_wins_out_of_decided_signals_is_a_real_zero() -> None:
    summary = summarize(loss=4)
    assert summary.winrate == 0.0
    assert summary.interval is not None


def test_expired_and_breakeven_are_counted_apart_from_the_winrate() -> None:
    summary = summarize(win=3, loss=1, expired=2, breakeven=4)
    assert (summary.expired, summary.breakeven, summary.total) == (2, 4, 10)
    assert summary.winrate == pytest.approx(0.75)
    assert summary.strict_winrate == pytest.approx(0.3)


def test_cancelled_signals_are_shown_but_not_in_the_total() -> None:
    summary = summarize(win=1, loss=1, cancelled=3)
    assert (summary.cancelled, summary.total) == (3, 2)
    assert summary.strict_winrate == pytest.approx(0.5)


def test_open_signals_are_shown_beside_never_mixed_in() -> None:
    summary = summarize(open_=7, win=2, loss=2)
    assert (summary.open, summary.total, summary.winrate) == (7, 4, 0.5)


@pytest.mark.parametrize(
    ("pnl_sum", "pnl_count", "avg"), [(0.0, 0, None), (-6.0, 3, -2.0), (4.5, 2, 2.25)]
)
def test_avg_pnl_is_the_mean_over_closed_signals_with_a_pnl(
    pnl_sum: float, pnl_count: int, avg: float | None
) -> None:
    assert summarize(win=3, loss=1, pnl_sum=pnl_sum, pnl_count=pnl_count).avg_pnl_pct == avg


def test_a_summary_counts_results_keyed_by_plain_text_the_same() -> None:
    counts = ResultCounts(by_result={"WIN": 2, "LOSS": 1})  # type: ignore[dict-item]
    summary = summarize_winrate(counts, days=1, since=NOW, until=NOW)
    assert (summary.wins, summary.losses) == (2, 1)


_N = st.integers(min_value=0, max_value=500)


@settings(max_examples=50)
@given(wins=_N, losses=_N, expired=_N, breakeven=_N)
def test_adding_a_win_never_lowers_the_winrate(
    wins: int, losses: int, expired: int, breakeven: int
) -> None:
    before = summarize(win=wins, loss=losses, expired=expired, breakeven=breakeven)
    after = summarize(win=wins + 1, loss=losses, expired=expired, breakeven=breakeven)
    assert after.winrate is not None
    assert before.winrate is None or after.winrate >= before.winrate
    assert after.strict_winrate is not None
    assert before.strict_winrate is None or after.strict_winrate >= before.strict_winrate


@settings(max_examples=50)
@given(wins=_N, losses=_N)
def test_the_winrate_lies_inside_its_interval(wins: int, losses: int) -> None:
    summary = summarize(win=wins, loss=losses)
    assert (summary.winrate is None) == (wins + losses == 0)
    assume(wins + losses > 0)  # nothing decided: no rate, no interval
    assert summary.winrate is not None
    assert summary.interval is not None
    low, high = summary.interval
    assert low - 1e-12 <= summary.winrate <= high + 1e-12


# --- the PnL split: profit factor and break-even winrate from sums ---------------------


def test_the_profit_factor_and_break_even_winrate_come_from_the_pnl_split() -> None:
    split = PnlSplit(gain_sum_pct=6.0, loss_sum_pct=-4.0, win_sum_pct=6.0, win_count=3,
                     lost_sum_pct=-4.0, lost_count=4)  # fmt: skip
    summary = summarize_counts(
        ResultCounts(
            by_result={Result.WIN: 3, Result.LOSS: 4}, pnl_sum_pct=2.0, pnl_count=7, split=split
        )
    )
    assert summary.profit_factor == pytest.approx(1.5)
    assert summary.breakeven_winrate == pytest.approx(1 / 3)  # |−1| / (2 + |−1|)
    assert summary.total_pnl_pct == 2.0 and summary.pnl_n == 7


def test_sums_without_a_split_give_no_profit_factor_rather_than_a_guess() -> None:
    summary = summarize_counts(ResultCounts(by_result={Result.WIN: 3}, pnl_sum_pct=3.0,
                                            pnl_count=3))  # fmt: skip
    assert summary.profit_factor is None and summary.breakeven_winrate is None
    assert summary.avg_pnl_pct == 1.0


def test_adding_counts_keeps_a_split_only_when_both_sides_have_one() -> None:
    with_split = ResultCounts(by_result={Result.WIN: 1}, split=PnlSplit(gain_sum_pct=1.0))
    without = ResultCounts(by_result={Result.LOSS: 1}, pnl_sum_pct=-1.0, pnl_count=1)
    assert (with_split + with_split).split == PnlSplit(gain_sum_pct=2.0)
    assert (with_split + without).split is None  # a PnL of its own, not split
    nothing = ResultCounts(by_result={})  # no PnL at all: its split is known, all zeros
    assert sum([with_split, with_split], nothing).split == PnlSplit(gain_sum_pct=2.0)
