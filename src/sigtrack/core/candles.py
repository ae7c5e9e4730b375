"""Candle timeframes (the candle arrays themselves come with the settling engine)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from sigtrack.core.errors import InvalidInput

_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}


class Timeframe(StrEnum):
    M1 = "1m"
    M3 = "3m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H2 = "2h"
    H4 = "4h"
    H6 = "6h"
    H8 = "8h"
    H12 = "12h"
    D1 = "1d"
    D3 = "3d"
    W1 = "1w"

    @property
    def minutes(self) -> int:
        return int(self.value[:-1]) * _UNIT_MINUTES[self.value[-1]]

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)


def parse_timeframe(value: object, field: str = "timeframe") -> Timeframe:
    """`15m`, `1H`, `4h` → Timeframe; anything else is an InvalidInput naming the field."""
    if isinstance(value, Timeframe):
        return value
    if isinstance(value, str) and value.strip().endswith("M"):
        raise InvalidInput(
            field, f"1M is a month on exchanges; write minutes as 1m (got {value!r})"
        )
    try:
        return Timeframe(value.strip().lower() if isinstance(value, str) else "")
    except ValueError:
        known = ", ".join(tf.value for tf in Timeframe)
        raise InvalidInput(field, f"must be one of {known} (got {value!r})") from None
