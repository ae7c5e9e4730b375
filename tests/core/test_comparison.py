"""Comparisons: Fisher's exact test against scipy, the bootstrap, power, the verdict."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from sigtrack.core.comparison import (
    Verdict,
    bootstrap_diff_interval,
    compare,
    compare_counts,
    fisher_exact,
    needs_rows,
    signals_for_power,
)
from sigtrack.core.performance import OutcomeColumns, columns_from_rows, result_counts


@settings(max_examples=300)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40), st.integers(0, 40))
def test_fisher_exact_matches_scipy(a_w: int, a_l: int, b_w: int, b_l: int) -> None:
    assume(a_w + a_l > 0 and b_w + b_l > 0)
    expected = scipy_stats.fisher_exact([[a_w, a_l], [b_w, b_l]]).pvalue
    assert fisher_exact(a_w, a_l, b_w, b_l) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_signals_for_power_matches_the_textbook_figure() -> None:
    assert signals_for_power(0.5, 0.6) == 388  # 50 % vs 60 %: about 387 a side
    assert signals_for_power(0.6, 0.6) is None


def test_the_bootstrap_is_seeded_and_covers_a_clear_difference() -> None:
    a, b = np.full(50, 1.0) + np.linspace(-1, 1, 50), np.full(60, 3.0) + np.linspace(-1, 1, 60)
    first = bootstrap_diff_interval(a, b, np.random.default_rng(7))
    assert first == bootstrap_diff_interval(a, b, np.random.default_rng(7))
    assert first is not None and first[0] < 2.0 < first[1] and first[0] > 1.5
    assert bootstrap_diff_interval(a[:1], b, np.random.default_rng(7)) is None


def side(wins: int, losses: int, win_pnl: float = 1.0) -> list[dict[str, object]]:
    return [{"result": "WIN", "pnl_pct": win_pnl, "r_multiple": 1.0}] * wins + [
        {"result": "LOSS", "pnl_pct": -1.0, "r_multiple": -1.0}
    ] * losses


def test_a_clear_improvement_is_called_b_is_better() -> None:
    result = compare(columns_from_rows(side(30, 70)), columns_from_rows(side(70, 30)))
    assert result.verdict is Verdict.B_BETTER and result.fisher_p is not None
    assert result.fisher_p < 1e-6 and result.winrate_diff == pytest.approx(0.4)
    assert result.pnl_diff == pytest.approx(0.8)
    assert result.pnl_diff_interval is not None and result.pnl_diff_interval[0] > 0


def test_a_small_sample_asks_for_more_signals_rather_than_judging() -> None:
    result = compare(columns_from_rows(side(3, 3)), columns_from_rows(side(4, 2)))
    assert result.verdict is Verdict.NOT_ENOUGH
    assert result.more_per_side is not None and result.more_per_side > 50
    assert "more signals per side for 80 % power" in result.verdict_text


def test_equal_rates_on_many_signals_show_no_detectable_difference() -> None:
    result = compare(columns_from_rows(side(300, 300)), columns_from_rows(side(300, 300)))
    assert result.verdict is Verdict.NO_DIFFERENCE and result.fisher_p == pytest.approx(1.0)


def test_an_empty_side_has_no_test_and_not_enough_data() -> None:
    result = compare(columns_from_rows([]), columns_from_rows(side(5, 5)))
    assert result.fisher_p is None and result.winrate_diff is None
    assert result.verdict is Verdict.NOT_ENOUGH and result.pnl_diff is None


def test_large_samples_use_welchs_interval_without_resampling() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.0, 1.0, 600), rng.normal(0.5, 2.0, 800)
    low, high = bootstrap_diff_interval(a, b, np.random.default_rng(9))  # type: ignore[misc]
    half = 1.959963984540054 * np.sqrt(a.var(ddof=1) / 600 + b.var(ddof=1) / 800)
    diff = b.mean() - a.mean()
    assert (low, high) == pytest.approx((diff - half, diff + half))
    lo, hi = scipy_stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert (low, high) == pytest.approx((lo, hi), rel=0.01)  # Welch's t, nearly normal here


def test_small_samples_are_bootstrapped_with_a_seed() -> None:
    a, b = np.array([1.0, -1.0, 0.5, 2.0, -0.5]), np.array([2.0, 3.0, 1.5, 2.5, 4.0, 1.0])
    first = bootstrap_diff_interval(a, b, np.random.default_rng(5))
    assert first == bootstrap_diff_interval(a, b, np.random.default_rng(5))
    assert first != bootstrap_diff_interval(a, b, np.random.default_rng(6))  # resampled
    assert first is not None and first[0] < b.mean() - a.mean() < first[1]


# --- from the sides' sums -------------------------------------------------------------


def random_side(seed: int, n: int, edge: float, by_hand: float) -> OutcomeColumns:
    rng = np.random.default_rng(seed)
    codes = rng.choice([-1, 0, 1, 2, 3, 4], n, p=[0.05, 0.4, 0.35, 0.1, 0.05, 0.05])
    r = edge + rng.normal(0, 1.1, n)
    pnl = r * rng.uniform(0.5, 2.0, n)
    r[rng.random(n) < by_hand] = np.nan
    names = [None, "WIN", "LOSS", "EXPIRED", "BREAKEVEN", "CANCELLED"]
    return columns_from_rows(
        [{"result": names[c + 1], "pnl_pct": p, "r_multiple": x}
         for c, p, x in zip(codes, pnl.tolist(), r.tolist(), strict=True)]
    )  # fmt: skip


def values_of(columns: OutcomeColumns, values: np.ndarray) -> np.ndarray:
    closed = (columns.result >= 0) & (columns.result != 4)
    chosen = values[closed]
    return chosen[~np.isnan(chosen)]


def test_large_sides_compare_from_their_sums_alone_with_welchs_interval() -> None:
    a, b = random_side(1, 400, 0.0, 0.0), random_side(2, 500, 0.3, 0.0)
    counts_a, counts_b = result_counts(a), result_counts(b)
    assert not needs_rows(counts_a, counts_b)
    got = compare_counts(counts_a, counts_b)
    r_a, r_b = values_of(a, a.r_multiple), values_of(b, b.r_multiple)
    assert got.r_diff == pytest.approx(r_b.mean() - r_a.mean(), rel=1e-12)
    half = 1.959963984540054 * np.sqrt(r_a.var(ddof=1) / len(r_a) + r_b.var(ddof=1) / len(r_b))
    assert got.r_diff_interval == pytest.approx((got.r_diff - half, got.r_diff + half))
    low, high = scipy_stats.ttest_ind(r_b, r_a, equal_var=False).confidence_interval(0.95)
    assert got.r_diff_interval == pytest.approx((low, high), rel=0.01)
    a_w, a_l, b_w, b_l = got.a.wins, got.a.losses, got.b.wins, got.b.losses
    want_p = scipy_stats.fisher_exact([[a_w, a_l], [b_w, b_l]]).pvalue
    assert got.fisher_p == pytest.approx(want_p, rel=1e-9)
    assert got.winrate_diff == pytest.approx(b_w / (b_w + b_l) - a_w / (a_w + a_l))


def test_a_small_side_is_bootstrapped_from_its_rows_and_refused_without_them() -> None:
    small, big = random_side(3, 12, 0.0, 0.0), random_side(2, 500, 0.3, 0.0)
    counts_small, counts_big = result_counts(small), result_counts(big)
    assert needs_rows(counts_small, counts_big)
    with pytest.raises(ValueError, match="give the rows"):
        compare_counts(counts_small, counts_big)
    got = compare_counts(counts_small, counts_big, rows=(small, big), seed=11)
    rng = np.random.default_rng(11)  # PnL is drawn first, then R
    pnl = bootstrap_diff_interval(values_of(small, small.pnl_pct), values_of(big, big.pnl_pct), rng)
    r = bootstrap_diff_interval(values_of(small, small.r_multiple), values_of(big, big.r_multiple),
                                rng)  # fmt: skip
    assert (got.pnl_diff_interval, got.r_diff_interval) == (pnl, r)
    assert compare(small, big, seed=11).r_diff_interval == r  # rows: the same one path


def test_the_comparison_of_rows_summarises_each_side_in_full() -> None:
    result = compare(columns_from_rows(side(3, 1, win_pnl=2.0)), columns_from_rows(side(1, 1)))
    assert result.a.median_pnl_pct == 2.0 and result.a.profit_factor == pytest.approx(6.0)
    assert result.pnl_diff == pytest.approx(0.0 - 1.25)
    counted = compare_counts(result_counts(columns_from_rows(side(3, 1, win_pnl=2.0))),
                             result_counts(columns_from_rows(side(1, 1))),
                             rows=(columns_from_rows(side(3, 1, win_pnl=2.0)),
                                   columns_from_rows(side(1, 1))))  # fmt: skip
    assert counted.a.fields() == result.a.fields()  # Performance extends the count summary
    assert (counted.fisher_p, counted.pnl_diff_interval) == (
        result.fisher_p,
        result.pnl_diff_interval,
    )
