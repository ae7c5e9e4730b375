"""Candle series: checked on construction, gaps reported, never a flat price for a hole."""

from __future__ import annotations

import numpy as np
import pytest

from sigtrack.core.candles import MINUTE_MS, Candles, Gap
from sigtrack.core.errors import InvalidInput

T0 = 1_767_571_200_000  # 2026-01-05 00:00 UTC


def rows(*minutes: int) -> list[list[float]]:
    return [[T0 + m * MINUTE_MS, 100, 101, 99, 100.5, 3] for m in minutes]


def test_a_series_keeps_its_columns_as_typed_arrays() -> None:
    candles = Candles.from_rows(rows(0, 1, 2))
    assert candles.open_time_ms.dtype == np.int64 and candles.high.dtype == np.float64
    assert len(candles) == 3 and candles.end_ms == T0 + 3 * MINUTE_MS


def test_missing_minutes_are_reported_as_gaps_not_filled() -> None:
    candles = Candles.from_rows(rows(0, 1, 4, 5, 7))
    assert candles.gaps() == [
        Gap(after_ms=T0 + MINUTE_MS, missing=2),
        Gap(after_ms=T0 + 5 * MINUTE_MS, missing=1),
    ]
    assert len(candles) == 5  # nothing was invented for the holes


@pytest.mark.parametrize(
    ("minutes", "words"),
    [((0, 2, 1), "must increase strictly: row 2"), ((0, 1, 1), "must increase strictly: row 2")],
)
def test_unsorted_or_repeated_times_are_refused_naming_the_row(
    minutes: tuple[int, ...], words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as caught:
        Candles.from_rows(rows(*minutes))
    assert caught.value.field == "candles.open_time_ms"


def test_times_off_the_step_grid_are_refused() -> None:
    bad = rows(0, 1)
    bad[1][0] += 30_000
    with pytest.raises(InvalidInput, match="multiples of 60000 ms: row 1"):
        Candles.from_rows(bad)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ([T0, 100, 99, 98, 100.5, 1], "high below open/close"),
        ([T0, 100, 101, 100.2, 100.5, 1], "low above open/close"),
        ([T0, 0, 101, 99, 100.5, 1], "prices must be > 0"),
        ([T0, float("nan"), 101, 99, 100.5, 1], "prices must be > 0"),
        ([T0, 100, 101, 99, 100.5, -1], "volume must be >= 0"),
    ],
)
def test_impossible_prices_are_refused_with_the_row_and_values(
    row: list[float], reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        Candles.from_rows([row])
    assert f"{T0} ms" in str(caught.value)


def test_between_takes_open_times_in_the_half_open_range() -> None:
    candles = Candles.from_rows(rows(0, 1, 2, 3))
    part = candles.between(T0 + MINUTE_MS, T0 + 3 * MINUTE_MS)
    assert part.open_time_ms.tolist() == [T0 + MINUTE_MS, T0 + 2 * MINUTE_MS]
    assert len(candles.between(T0 + 10 * MINUTE_MS, T0 + 20 * MINUTE_MS)) == 0


def test_concat_joins_a_later_series_and_refuses_overlap() -> None:
    first, later = Candles.from_rows(rows(0, 1)), Candles.from_rows(rows(3, 4))
    joined = first.concat(later)
    assert joined.open_time_ms.tolist() == [T0 + m * MINUTE_MS for m in (0, 1, 3, 4)]
    assert first.concat(Candles.empty()) is first and Candles.empty().concat(later) is later
    with pytest.raises(InvalidInput, match="must increase strictly"):
        later.concat(first)


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"candles.high: has 1 values for 2 open times"):
        Candles(
            open_time_ms=np.array([T0, T0 + MINUTE_MS]),
            open=np.array([1.0, 1.0]),
            high=np.array([1.0]),
            low=np.array([1.0, 1.0]),
            close=np.array([1.0, 1.0]),
            volume=np.array([0.0, 0.0]),
        )
