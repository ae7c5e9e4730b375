"""Breakdown rows from grouped counts: honest ranking, too-few rows, local time, bands."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigtrack.core.breakdowns import (
    BreakdownKey,
    breakdown,
    confidence_band,
    in_local_time,
    parse_breakdown_key,
)
from sigtrack.core.errors import InvalidInput
from sigtrack.core.signals import Result
from sigtrack.core.stats import ResultCounts, summarize_counts, wilson_interval


def counts(
    wins: int, losses: int, *, pnl: float = 0.0, r: float = 0.0, r_n: int = 0
) -> ResultCounts:
    return ResultCounts(
        by_result={Result.WIN: wins, Result.LOSS: losses},
        pnl_sum_pct=pnl,
        pnl_count=wins + losses,
        r_sum=r,
        r_count=r_n,
    )


def test_best_ranks_by_the_lower_bound_so_a_lucky_few_never_top_the_list() -> None:
    groups = {
        "LUCKYUSDT": counts(3, 0),  # 100 % but only three: too few
        "STEADYUSDT": counts(70, 30),  # 70 %, lower bound ~60 %
        "HOTUSDT": counts(8, 2),  # 80 %, lower bound ~49 %
        "BADUSDT": counts(20, 30),
    }
    result = breakdown(groups, BreakdownKey.SYMBOL, min_n=5)
    assert [row.key for row in result.rows] == ["BADUSDT", "HOTUSDT", "LUCKYUSDT", "STEADYUSDT"]
    assert [row.key for row in result.best] == ["STEADYUSDT", "HOTUSDT", "BADUSDT"]
    assert result.worst[0].key == "BADUSDT"
    lucky = next(row for row in result.rows if row.key == "LUCKYUSDT")
    assert lucky.is_too_few and lucky.winrate == 1.0


def test_a_row_carries_its_numbers() -> None:
    [row] = breakdown({"BTCUSDT": counts(3, 1, pnl=4.0, r=2.5, r_n=2)}, BreakdownKey.SYMBOL).rows
    assert (row.n, row.wins, row.losses) == (4, 3, 1)
    assert row.winrate == 0.75 and row.interval == wilson_interval(3, 4)
    assert row.avg_pnl_pct == 1.0 and row.expectancy_r == 1.25 and row.expectancy_n == 2


def test_a_group_with_nothing_decided_has_no_winrate() -> None:
    [row] = breakdown({"X": ResultCounts(open=3, by_result={})}, BreakdownKey.SYMBOL).rows
    assert row.winrate is None and row.interval is None and row.avg_pnl_pct is None


@pytest.mark.parametrize(
    ("low", "label"),
    [(None, "(none)"), (0, "00–04"), (75, "75–79"), (95, "95–100"), (100, "95–100")],
)
def test_confidence_bands_are_five_wide_and_the_last_holds_100(low: int | None, label: str) -> None:
    assert confidence_band(low) == label


def test_utc_hours_land_in_the_display_zone_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    buckets = {
        datetime(2026, 3, 28, 10, tzinfo=UTC): counts(1, 0),  # 11:00 CET (Saturday)
        datetime(2026, 3, 29, 10, tzinfo=UTC): counts(0, 1),  # 12:00 CEST (Sunday)
        datetime(2026, 3, 30, 10, tzinfo=UTC): counts(1, 1),  # 12:00 CEST (Monday)
    }
    hours = in_local_time(buckets, BreakdownKey.HOUR, berlin)
    assert set(hours) == {"11", "12"}
    assert hours["12"].by_result == {Result.WIN: 1, Result.LOSS: 2}
    days = breakdown(in_local_time(buckets, BreakdownKey.WEEKDAY, berlin), BreakdownKey.WEEKDAY)
    assert [row.key for row in days.rows] == ["Mon", "Sat", "Sun"]


@given(
    st.dictionaries(
        st.sampled_from(["A", "B", "C", "D"]), st.tuples(st.integers(0, 40), st.integers(0, 40))
    )
)
def test_breakdown_counts_add_up_to_the_total(groups: dict[str, tuple[int, int]]) -> None:
    result = breakdown({k: counts(w, lost) for k, (w, lost) in groups.items()}, BreakdownKey.SYMBOL)
    assert sum(row.wins for row in result.rows) == sum(w for w, _ in groups.values())
    assert sum(row.n for row in result.rows) == sum(w + lost for w, lost in groups.values())


def test_unknown_keys_and_bad_minimums_are_named() -> None:
    with pytest.raises(InvalidInput, match="by: must be one of symbol"):
        parse_breakdown_key("coin")
    with pytest.raises(InvalidInput) as caught:
        breakdown({}, BreakdownKey.SIDE, min_n=0)
    assert caught.value.field == "min_n"


def test_a_row_is_the_count_summary_of_its_group_with_its_key() -> None:
    group = counts(6, 2, pnl=3.0, r=1.5, r_n=4)
    [row] = breakdown({"BTCUSDT": group}, BreakdownKey.SYMBOL, min_n=10).rows
    assert {**summarize_counts(group).fields()} == row.fields()
    assert (row.key, row.n, row.is_too_few) == ("BTCUSDT", 8, True)
