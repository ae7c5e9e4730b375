"""Breakdown rows from grouped counts: honest ranking, too-few rows, local time (in zones of
half-hour and 45-minute offsets, across daylight-saving changes), bands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigtrack.core.breakdowns import (
    BreakdownKey,
    added,
    breakdown,
    confidence_band,
    in_local_time,
    parse_breakdown_key,
    rows_in_local_time,
    zone_stretches,
)
from sigtrack.core.errors import InvalidInput
from sigtrack.core.performance import NO_TIME, OutcomeColumns
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


KOLKATA, KATHMANDU = ZoneInfo("Asia/Kolkata"), ZoneInfo("Asia/Kathmandu")
ADELAIDE, ST_JOHNS = ZoneInfo("Australia/Adelaide"), ZoneInfo("America/St_Johns")
ZONES = [KOLKATA, KATHMANDU, ADELAIDE, ZoneInfo("Asia/Jakarta"), UTC, ST_JOHNS]
ODD = timezone(timedelta(minutes=20), "+00:20")  # no real zone: not whole quarter hours


def quarter_of_week(moment: datetime) -> int:
    """What the store groups by: the minute of the UTC week the quarter hour starts at."""
    utc = moment.astimezone(UTC)
    return utc.weekday() * 1440 + utc.hour * 60 + utc.minute // 15 * 15


def local_keys(by: BreakdownKey, zone: tzinfo, moments: list[datetime]) -> dict[str, int]:
    """The reference: each signal by its own creation time in the zone."""
    keys = [
        f"{m.astimezone(zone).hour:02d}"
        if by is BreakdownKey.HOUR
        else ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[m.astimezone(zone).weekday()]
        for m in moments
    ]
    return {key: keys.count(key) for key in keys}


def placed(by: BreakdownKey, zone: tzinfo, moments: list[datetime], since: datetime,
           until: datetime) -> dict[str, int]:  # fmt: skip
    """Wins per local key as breakdown_for counts them: stretch by stretch, the store's
    quarter hours (or the rows, for an offset not of whole quarters) placed by the core."""
    parts = []
    for stretch in zone_stretches(zone, since, until):
        inside = [m for m in moments if stretch.since <= m < stretch.until]
        if stretch.is_whole_quarters:
            quarters: dict[int, ResultCounts] = {}
            for m in inside:
                key = quarter_of_week(m)
                quarters[key] = quarters.get(key, counts(0, 0)) + counts(1, 0)
            parts.append(in_local_time(quarters, by, stretch.offset_s))
        else:
            parts.append(rows_in_local_time(won_at(inside), by, stretch.offset_s))
    return {key: c.by_result.get(Result.WIN, 0) for key, c in added(parts).items()}


def won_at(moments: list[datetime]) -> OutcomeColumns:
    """Outcome columns of signals won at `moments`."""
    n = len(moments)
    created = np.array([m.timestamp() * 1000 for m in moments], dtype=np.int64)
    zeros, none = np.zeros(n, dtype=np.int64), np.full(n, NO_TIME, dtype=np.int64)
    return OutcomeColumns(
        result=zeros, pnl_pct=np.ones(n), r_multiple=np.full(n, np.nan), created_ms=created,
        closed_ms=created, tp1_hit_ms=none, stop_ms=none, targets_hit=zeros - 1,
        n_targets=zeros + 1, mfe_pct=np.zeros(n), mae_pct=np.zeros(n),
        ambiguous=np.zeros(n, dtype=bool),
    )  # fmt: skip


def test_a_quarter_past_ten_in_kolkata_is_ten_and_a_quarter_past_midnight_is_monday() -> None:
    ten = datetime(2026, 11, 23, 10, 15, tzinfo=KOLKATA)  # a Monday; 04:45 UTC
    midnight = datetime(2026, 11, 23, 0, 15, tzinfo=KOLKATA)  # Sunday 18:45 UTC
    quarters = {quarter_of_week(ten): counts(1, 0), quarter_of_week(midnight): counts(0, 1)}
    hours = breakdown(in_local_time(quarters, BreakdownKey.HOUR, 19_800), BreakdownKey.HOUR)
    assert [(row.key, row.wins, row.losses) for row in hours.rows] == [("00", 0, 1), ("10", 1, 0)]
    days = breakdown(in_local_time(quarters, BreakdownKey.WEEKDAY, 19_800), BreakdownKey.WEEKDAY)
    assert [(row.key, row.wins, row.losses) for row in days.rows] == [("Mon", 1, 1)]


def test_kathmandu_places_each_quarter_hour_by_its_45_minutes() -> None:
    # 04:15 UTC is 10:00 in Kathmandu (+05:45), 04:00 UTC still 09:45
    moments = [datetime(2026, 11, 23, 4, 15, tzinfo=UTC), datetime(2026, 11, 23, 4, 0, tzinfo=UTC)]
    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    assert placed(BreakdownKey.HOUR, KATHMANDU, moments, since, until) == {"10": 1, "09": 1}


@pytest.mark.parametrize(
    ("zone", "since", "until", "cuts", "offsets_h"),
    [
        # Adelaide: +10:30 until 03:00 local on 5 April (16:30 UTC the day before), +09:30
        # until 02:00 local on 4 October, then +10:30 again
        (ADELAIDE, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC),
         [datetime(2026, 4, 4, 16, 30, tzinfo=UTC), datetime(2026, 10, 3, 16, 30, tzinfo=UTC)],
         [10.5, 9.5, 10.5]),
        # St John's: −03:30, −02:30 from 02:00 local on 8 March, −03:30 from 1 November
        (ST_JOHNS, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC),
         [datetime(2026, 3, 8, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 4, 30, tzinfo=UTC)],
         [-3.5, -2.5, -3.5]),
        (KOLKATA, datetime(2020, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), [], [5.5]),
        (KATHMANDU, datetime(2026, 5, 1, 3, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC), [],
         [5.75]),
        (UTC, datetime(2026, 5, 1, 3, tzinfo=UTC), datetime(2026, 5, 1, 4, tzinfo=UTC), [], [0]),
    ],
)  # fmt: skip
def test_a_window_is_cut_exactly_where_the_zone_changes_its_offset(
    zone: tzinfo, since: datetime, until: datetime, cuts: list[datetime], offsets_h: list[float]
) -> None:
    stretches = zone_stretches(zone, since, until)
    assert [s.since for s in stretches] == [since, *cuts]
    assert [s.until for s in stretches] == [*cuts, until]
    assert [s.offset_s / 3600 for s in stretches] == offsets_h
    assert all(s.is_whole_quarters for s in stretches)


def test_the_repeated_and_the_skipped_hour_of_adelaide_land_where_its_clocks_show() -> None:
    # 5 April 2026: 03:00 +10:30 → 02:00 +09:30, so 02:xx happens twice; 4 October: 02:00
    # +09:30 → 03:00 +10:30, so there is no 02:xx
    back = [datetime(2026, 4, 4, 15, 45, tzinfo=UTC), datetime(2026, 4, 4, 16, 45, tzinfo=UTC)]
    forward = [datetime(2026, 10, 3, 16, 15, tzinfo=UTC), datetime(2026, 10, 3, 16, 30, tzinfo=UTC)]
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert placed(BreakdownKey.HOUR, ADELAIDE, back, since, until) == {"02": 2}
    assert placed(BreakdownKey.HOUR, ADELAIDE, forward, since, until) == {"01": 1, "03": 1}
    assert placed(BreakdownKey.WEEKDAY, ADELAIDE, back + forward, since, until) == {"Sun": 4}


def test_an_offset_of_no_whole_quarter_hours_is_refused_and_placed_row_by_row() -> None:
    with pytest.raises(InvalidInput) as caught:
        in_local_time({0: counts(1, 0)}, BreakdownKey.HOUR, 20 * 60)
    assert caught.value.field == "offset_s"
    [stretch] = zone_stretches(
        ODD, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    )
    assert not stretch.is_whole_quarters
    moments = [datetime(2026, 1, 4, 23, 45, tzinfo=UTC)]  # Sunday; Monday 00:05 at +00:20
    window = (stretch.since, stretch.until)
    assert placed(BreakdownKey.HOUR, ODD, moments, *window) == {"00": 1}
    assert placed(BreakdownKey.WEEKDAY, ODD, moments, *window) == {"Mon": 1}


@given(
    st.sampled_from([*ZONES, ODD]),
    st.lists(
        st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
        max_size=40,
    ),
    st.sampled_from([BreakdownKey.HOUR, BreakdownKey.WEEKDAY]),
)
def test_local_hours_and_weekdays_equal_grouping_each_signal_by_its_local_time(
    zone: tzinfo, moments: list[datetime], by: BreakdownKey
) -> None:
    since, until = datetime(2025, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    assert placed(by, zone, moments, since, until) == local_keys(by, zone, moments)


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
