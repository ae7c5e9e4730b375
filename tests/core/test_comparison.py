"""Comparisons: Fisher's exact test against scipy, the bootstrap, power, the verdict."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from counting import counts_of
from sigtrack.core.comparison import (
    Comparison,
    CountComparison,
    Verdict,
    bootstrap_diff_interval,
    compare,
    compare_counts,
    fisher_exact,
    needs_rows,
    signals_for_power,
)
from sigtrack.core.performance import OutcomeColumns, columns_from_rows


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


# --- the same comparison from the store's counts ---------------------------------------

SIZES = [0, 1, 2, 5, 29, 30, 31, 120, 2_100]


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


def near(value: object) -> object:
    """Equal to 1e-9 relative (sums in another order), or both None."""
    return value if value is None else pytest.approx(value, rel=1e-9, abs=1e-12)


def assert_same_comparison(got: CountComparison, want: Comparison) -> None:
    assert (got.a.wins, got.a.losses, got.b.wins, got.b.losses) == (
        want.a.wins, want.a.losses, want.b.wins, want.b.losses,
    )  # fmt: skip
    for name in ("winrate", "avg_pnl_pct", "expectancy_r", "interval", "strict_winrate"):
        assert getattr(got.a, name) == near(getattr(want.a, name)), name
        assert getattr(got.b, name) == near(getattr(want.b, name)), name
    for name in ("winrate_diff", "fisher_p", "pnl_diff", "r_diff"):
        assert getattr(got, name) == near(getattr(want, name)), name
    for name in ("pnl_diff_interval", "r_diff_interval"):
        g, w = getattr(got, name), getattr(want, name)
        assert (g is None) == (w is None), name
        if w is not None:
            assert g == near(w), name
    assert (got.verdict, got.more_per_side) == (want.verdict, want.more_per_side)
    assert got.verdict_text == want.verdict_text


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_a=st.sampled_from(SIZES),
    n_b=st.sampled_from(SIZES),
    edge=st.floats(-0.5, 0.5),
    by_hand=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_the_comparison_from_counts_is_the_comparison_from_rows(
    seed: int, n_a: int, n_b: int, edge: float, by_hand: float
) -> None:
    a, b = random_side(seed, n_a, 0.0, by_hand), random_side(seed + 1, n_b, edge, by_hand)
    counts_a, counts_b = counts_of(a), counts_of(b)
    rows = (a, b) if needs_rows(counts_a, counts_b) else None
    got = compare_counts(counts_a, counts_b, rows=rows, seed=11)
    assert_same_comparison(got, compare(a, b, seed=11))


def test_large_sides_compare_from_their_sums_alone_and_small_ones_need_rows() -> None:
    big_a, big_b = random_side(1, 400, 0.0, 0.0), random_side(2, 500, 0.3, 0.0)
    assert not needs_rows(counts_of(big_a), counts_of(big_b))
    got = compare_counts(counts_of(big_a), counts_of(big_b))
    assert_same_comparison(got, compare(big_a, big_b))
    small = random_side(3, 12, 0.0, 0.0)
    assert needs_rows(counts_of(small), counts_of(big_b))
    with pytest.raises(ValueError, match="give the rows"):
        compare_counts(counts_of(small), counts_of(big_b))
    got = compare_counts(counts_of(small), counts_of(big_b), rows=(small, big_b))
    assert_same_comparison(got, compare(small, big_b))
