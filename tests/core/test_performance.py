"""The performance summary against a hand-worked table and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from sigtrack.core.performance import (
    columns_from_rows,
    longest_run,
    max_drawdown,
    result_counts,
    summarize,
)
from sigtrack.core.signals import Result
from sigtrack.core.stats import summarize_counts, wilson_interval

M = 60_000
# in the order they closed; created at 0 so that hit times are minutes after creation
TABLE = [
    {"result": "WIN", "pnl_pct": 2.0, "r_multiple": 1.0, "tp1_hit_ms": 30 * M,
     "targets_hit": 2, "n_targets": 2, "mfe_pct": 2.5, "mae_pct": -0.5},
    {"result": "LOSS", "pnl_pct": -1.0, "r_multiple": -1.0, "stop_ms": 60 * M,
     "targets_hit": 0, "n_targets": 2, "mfe_pct": 0.5, "mae_pct": -1.1},
    {"result": "LOSS", "pnl_pct": -1.0, "r_multiple": -1.0, "stop_ms": 20 * M,
     "targets_hit": 0, "n_targets": 2, "mfe_pct": 0.2, "mae_pct": -1.0},
    {"result": "WIN", "pnl_pct": 1.0, "r_multiple": 0.5, "tp1_hit_ms": 90 * M,
     "targets_hit": 1, "n_targets": 2, "mfe_pct": 1.5, "mae_pct": -0.8},
    {"result": "EXPIRED", "pnl_pct": 0.4, "r_multiple": 0.2,
     "targets_hit": 0, "n_targets": 2, "mfe_pct": 0.9, "mae_pct": -0.6},
    {"result": "LOSS", "pnl_pct": -1.0, "r_multiple": -1.0, "stop_ms": 40 * M,
     "targets_hit": 0, "n_targets": 2, "mfe_pct": 0.1, "mae_pct": -1.2, "ambiguous": True},
    {"result": "CANCELLED"},
    {"result": None},  # still open
    {"result": "WIN", "pnl_pct": 1.5},  # closed by hand: no R, no candle details
]  # fmt: skip


def test_the_summary_matches_the_hand_worked_table() -> None:
    p = summarize(columns_from_rows(TABLE))
    assert (p.total, p.wins, p.losses, p.expired, p.breakeven, p.cancelled, p.open) == (
        7, 3, 3, 1, 0, 1, 1,
    )  # fmt: skip
    assert p.winrate == 0.5 and p.strict_winrate == pytest.approx(3 / 7)
    assert p.avg_pnl_pct == pytest.approx(1.9 / 7)
    assert p.median_pnl_pct == pytest.approx(0.4)
    assert p.total_pnl_pct == pytest.approx(1.9)
    assert p.expectancy_r == pytest.approx(-1.3 / 6)
    assert p.profit_factor == pytest.approx(4.9 / 3)
    assert p.breakeven_winrate == pytest.approx(1 / 2.5)  # |−1| / (1.5 + |−1|)
    assert p.max_drawdown_pct == pytest.approx(2.0)  # 0 → 2 → 1 → 0
    assert p.longest_losing_streak == 2
    assert p.target_hit_rates == pytest.approx((2 / 6, 1 / 6))
    assert p.median_minutes_to_tp1 == 60 and p.median_minutes_to_sl == 40
    assert p.mean_mfe_pct == pytest.approx(5.7 / 6) and p.mean_mae_pct == pytest.approx(-5.2 / 6)
    assert p.ambiguous == 1


def test_an_empty_set_has_no_numbers_rather_than_zeros() -> None:
    p = summarize(columns_from_rows([]))
    assert p.total == 0 and p.winrate is None and p.interval is None
    assert p.avg_pnl_pct is None and p.profit_factor is None and p.max_drawdown_pct is None
    assert p.target_hit_rates == () and p.median_minutes_to_tp1 is None


def test_no_losses_means_no_profit_factor_not_an_infinite_one() -> None:
    p = summarize(columns_from_rows([{"result": "WIN", "pnl_pct": 1.0}]))
    assert p.profit_factor is None and p.breakeven_winrate is None


@pytest.mark.parametrize(("wins", "n"), [(0, 1), (1, 1), (3, 6), (7, 10), (70, 100), (1, 50)])
def test_the_wilson_interval_matches_scipy(wins: int, n: int) -> None:
    low, high = scipy_stats.binomtest(wins, n).proportion_ci(method="wilson")
    assert wilson_interval(wins, n) == pytest.approx((low, high), abs=1e-12)


results = st.lists(st.sampled_from(["WIN", "LOSS", "EXPIRED", None]), max_size=60)


@given(results)
def test_the_winrate_lies_inside_its_interval(outcomes: list[str | None]) -> None:
    p = summarize(columns_from_rows([{"result": r, "pnl_pct": 1.0} for r in outcomes]))
    if p.winrate is not None:
        assert p.interval is not None and p.interval[0] <= p.winrate <= p.interval[1]


@given(results)
def test_adding_a_win_never_lowers_the_winrate(outcomes: list[str | None]) -> None:
    before = summarize(columns_from_rows([{"result": r} for r in outcomes]))
    after = summarize(columns_from_rows([{"result": r} for r in [*outcomes, "WIN"]]))
    assert after.winrate is not None
    assert before.winrate is None or after.winrate >= before.winrate


@given(st.lists(st.floats(-10, 10), max_size=40))
def test_the_drawdown_is_the_largest_fall_from_a_peak(pnl: list[float]) -> None:
    drawdown = max_drawdown(np.array(pnl))
    equity = [0.0, *np.cumsum(pnl)]
    worst = max(max(equity[: i + 1]) - equity[i] for i in range(len(equity)))
    assert drawdown == (pytest.approx(worst, abs=1e-9) if pnl else None)


def test_the_longest_run_counts_consecutive_flags() -> None:
    assert longest_run(np.array([True, True, False, True, True, True, False])) == 3
    assert longest_run(np.array([False, False])) == 0
    assert longest_run(np.array([], dtype=bool)) == 0


def test_the_rows_sufficient_statistics_are_what_the_summary_is_made_of() -> None:
    columns = columns_from_rows(TABLE)
    counts = result_counts(columns)
    assert (counts.pnl_count, counts.r_count, counts.open) == (7, 6, 1)
    assert counts.pnl_sq == pytest.approx(4 + 1 + 1 + 1 + 0.16 + 1 + 2.25)
    assert counts.r_sq == pytest.approx(1 + 1 + 1 + 0.25 + 0.04 + 1)
    assert counts.split is not None and counts.split.lost_count == 3
    p = summarize(columns)
    assert summarize_counts(counts).fields() == p.fields()  # Performance extends it
    chosen = result_counts(columns, np.array([0, 1, 6]))  # indices, as a group is read
    assert dict(chosen.by_result) == {Result.WIN: 1, Result.LOSS: 1, Result.CANCELLED: 1}
    assert chosen.pnl_sum_pct == 1.0 and chosen.split is not None
