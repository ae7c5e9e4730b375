"""Candle timeframes and candle series as checked column arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

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


MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Gap:
    """Candles missing inside a series: `missing` slots after the candle at `after_ms`."""

    after_ms: int
    missing: int


@dataclass(frozen=True, slots=True, eq=False)
class Candles:
    """Candles of one symbol as column arrays, checked when built.

    `open_time_ms` is the candle's open time in ms since the epoch (UTC), strictly
    increasing and spaced by whole multiples of `step_ms`; a larger step is a gap
    (missing candles), never a flat price. Prices are finite and > 0 with
    low <= open, close <= high; volume is finite and >= 0.
    """

    open_time_ms: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]
    step_ms: int = MINUTE_MS

    def __post_init__(self) -> None:
        if not isinstance(self.step_ms, int) or self.step_ms <= 0:
            raise InvalidInput("candles.step_ms", f"must be a positive int (got {self.step_ms!r})")
        times = _column(self.open_time_ms, "open_time_ms", np.int64)
        object.__setattr__(self, "open_time_ms", times)
        columns = {}
        for name in ("open", "high", "low", "close", "volume"):
            column = _column(getattr(self, name), name, np.float64)
            if len(column) != len(times):
                raise InvalidInput(
                    f"candles.{name}",
                    f"has {len(column)} values for {len(times)} open times",
                )
            object.__setattr__(self, name, column)
            columns[name] = column
        _check_times(times, self.step_ms)
        _check_prices(times, columns)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[float]], *, step_ms: int = MINUTE_MS) -> Candles:
        """Rows of `[open_time_ms, open, high, low, close, volume?]` (volume 0 if absent)."""
        table = np.zeros((len(rows), 6), dtype=np.float64)
        for index, row in enumerate(rows):
            if len(row) not in (5, 6):
                raise InvalidInput(
                    "candles", f"row {index} must have 5 or 6 values (got {len(row)})"
                )
            table[index, : len(row)] = row
        times = np.array([int(row[0]) for row in rows], dtype=np.int64)
        return cls(
            open_time_ms=times,
            open=table[:, 1],
            high=table[:, 2],
            low=table[:, 3],
            close=table[:, 4],
            volume=table[:, 5],
            step_ms=step_ms,
        )

    @classmethod
    def empty(cls, *, step_ms: int = MINUTE_MS) -> Candles:
        nothing = np.empty(0, dtype=np.float64)
        return cls(
            open_time_ms=np.empty(0, dtype=np.int64),
            open=nothing,
            high=nothing,
            low=nothing,
            close=nothing,
            volume=nothing,
            step_ms=step_ms,
        )

    def __len__(self) -> int:
        return len(self.open_time_ms)

    @property
    def end_ms(self) -> int | None:
        """Where the data ends: the close time of the last candle (None when empty)."""
        return int(self.open_time_ms[-1]) + self.step_ms if len(self) else None

    def index_at_or_after(self, time_ms: int) -> int:
        """Index of the first candle opening at or after `time_ms` (len when none)."""
        return int(np.searchsorted(self.open_time_ms, time_ms, side="left"))

    def between(self, start_ms: int, end_ms: int) -> Candles:
        """The candles with start_ms <= open time < end_ms."""
        first = self.index_at_or_after(start_ms)
        last = self.index_at_or_after(end_ms)
        return self._take(slice(first, max(first, last)))

    def gaps(self) -> list[Gap]:
        """Every place where candles are missing between two present ones."""
        steps = np.diff(self.open_time_ms) // self.step_ms
        where = np.flatnonzero(steps > 1)
        return [Gap(after_ms=int(self.open_time_ms[i]), missing=int(steps[i]) - 1) for i in where]

    def concat(self, later: Candles) -> Candles:
        """These candles followed by `later`, which must start after they end."""
        if later.step_ms != self.step_ms:
            raise InvalidInput(
                "candles.step_ms", f"cannot join steps {self.step_ms} and {later.step_ms}"
            )
        if not len(later):
            return self
        if not len(self):
            return later
        return Candles(
            **{
                name: np.concatenate([getattr(self, name), getattr(later, name)])
                for name in _COLUMNS
            },
            step_ms=self.step_ms,
        )

    def _take(self, rows: slice) -> Candles:
        return Candles(
            **{name: getattr(self, name)[rows] for name in _COLUMNS}, step_ms=self.step_ms
        )


_COLUMNS = ("open_time_ms", "open", "high", "low", "close", "volume")


def _column(values: object, name: str, dtype: type) -> npt.NDArray[Any]:
    try:
        array: npt.NDArray[Any] = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"candles.{name}", f"must be numbers ({exc})") from None
    if array.ndim != 1:
        raise InvalidInput(f"candles.{name}", f"must be one-dimensional (got {array.ndim} dims)")
    return array


def _check_times(times: npt.NDArray[np.int64], step_ms: int) -> None:
    if len(times) < 2:
        return
    steps = np.diff(times)
    bad = np.flatnonzero(steps <= 0)
    if len(bad):
        i = int(bad[0]) + 1
        raise InvalidInput(
            "candles.open_time_ms",
            f"must increase strictly: row {i} ({int(times[i])}) is not after "
            f"row {i - 1} ({int(times[i - 1])})",
        )
    off_grid = np.flatnonzero(steps % step_ms)
    if len(off_grid):
        i = int(off_grid[0]) + 1
        raise InvalidInput(
            "candles.open_time_ms",
            f"must be spaced by multiples of {step_ms} ms: row {i} ({int(times[i])}) "
            f"is {int(steps[i - 1])} ms after the previous one",
        )


def _check_prices(times: npt.NDArray[np.int64], columns: dict[str, npt.NDArray[Any]]) -> None:
    prices = np.stack([columns[name] for name in ("open", "high", "low", "close")])
    problems = [
        (~np.isfinite(prices).all(axis=0) | (prices <= 0).any(axis=0), "prices must be > 0"),
        (columns["low"] > np.minimum(columns["open"], columns["close"]), "low above open/close"),
        (columns["high"] < np.maximum(columns["open"], columns["close"]), "high below open/close"),
        (~np.isfinite(columns["volume"]) | (columns["volume"] < 0), "volume must be >= 0"),
    ]
    for mask, reason in problems:
        bad = np.flatnonzero(mask)
        if len(bad):
            i = int(bad[0])
            row = [float(columns[name][i]) for name in ("open", "high", "low", "close", "volume")]
            raise InvalidInput(
                "candles", f"{reason}: row {i} at {int(times[i])} ms has o/h/l/c/v {row}"
            )
