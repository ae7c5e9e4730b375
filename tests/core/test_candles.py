"""Timeframes: the names bots write, and how long each one is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sigtrack.core.candles import Timeframe, parse_timeframe
from sigtrack.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "timeframe"),
    [("1m", Timeframe.M1), ("15m", Timeframe.M15), (" 15m ", Timeframe.M15),
     ("1h", Timeframe.H1), ("1H", Timeframe.H1), ("4h", Timeframe.H4), ("12h", Timeframe.H12),
     ("1d", Timeframe.D1), ("1D", Timeframe.D1), ("3d", Timeframe.D3), ("1w", Timeframe.W1),
     (Timeframe.M5, Timeframe.M5)],
)  # fmt: skip
def test_known_timeframes_parse_whatever_the_case_and_spaces(
    raw: Any, timeframe: Timeframe
) -> None:
    assert parse_timeframe(raw) is timeframe


@pytest.mark.parametrize("timeframe", [tf for tf in Timeframe if not tf.value.endswith("m")])
def test_hour_day_and_week_timeframes_parse_in_upper_case(timeframe: Timeframe) -> None:
    assert parse_timeframe(timeframe.value.upper()) is timeframe


@pytest.mark.parametrize("raw", ["1M", "15M"])
def test_an_upper_case_m_is_refused_because_exchanges_mean_a_month(raw: str) -> None:
    with pytest.raises(InvalidInput, match="month"):
        parse_timeframe(raw)


@pytest.mark.parametrize("raw", ["7m", "2d", "1y", "", "15 m", "m15", "15", 15, None, 1.0])
def test_unknown_timeframes_are_refused_naming_the_field_and_value(raw: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_timeframe(raw, field="tf")
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "tf"
    assert repr(raw) in str(caught.value)
    assert "1m, 3m, 5m, 15m" in str(caught.value)


@pytest.mark.parametrize(
    ("timeframe", "minutes"),
    [(Timeframe.M1, 1), (Timeframe.M3, 3), (Timeframe.M5, 5), (Timeframe.M15, 15),
     (Timeframe.M30, 30), (Timeframe.H1, 60), (Timeframe.H2, 120), (Timeframe.H4, 240),
     (Timeframe.H6, 360), (Timeframe.H8, 480), (Timeframe.H12, 720), (Timeframe.D1, 1440),
     (Timeframe.D3, 4320), (Timeframe.W1, 10080)],
)  # fmt: skip
def test_each_timeframe_knows_its_length_in_minutes(timeframe: Timeframe, minutes: int) -> None:
    assert timeframe.minutes == minutes
    assert timeframe.duration == timedelta(minutes=minutes)


def test_the_table_above_covers_every_timeframe() -> None:
    assert len(Timeframe) == 14


def test_timeframes_are_stored_as_their_text() -> None:
    assert Timeframe.M15 == "15m"
    assert str(Timeframe.H4) == "4h"
