"""Candles from a pyarrow table of a candle file, every bad row named by its place."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import InvalidInput, MarketDataError

PRICE_COLUMNS = ("open", "high", "low", "close")
REQUIRED_COLUMNS = ("timestamp", *PRICE_COLUMNS)
# Epoch milliseconds of 1973-03-03 and 5138-11-16: anything outside is seconds or µs.
_MS_RANGE = (10**11, 10**14)
_INTEGER_TEXT = re.compile(r"^-?\d+$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What Arrow raises when a whole-column cast fails: a value it cannot read (ArrowInvalid)
# or a text form it has no cast for; both end in parsing value by value.
_UNCASTABLE = pa.ArrowException

# Names a data row (0-based) for messages: "line 7" in a CSV, "row 6" in a Parquet file.
RowName = Callable[[int], str]


class BadRow(Exception):
    """A row (None: the whole column) that cannot be a candle; becomes a MarketDataError."""

    def __init__(self, row: int | None, reason: str) -> None:
        super().__init__(reason)
        self.row = row
        self.reason = reason


def candles_from_table(table: Any, file: str, row_name: RowName) -> Candles:
    """The candles of a table with columns timestamp, open, high, low, close[, volume]."""
    columns = _by_name(table, file)
    try:
        times = times_ms(columns["timestamp"])
        prices = {name: numbers(columns[name], name) for name in PRICE_COLUMNS}
        volume = (
            numbers(columns["volume"], "volume")
            if "volume" in columns
            else np.zeros(len(times), dtype=np.float64)
        )
        step_ms = _check_times(times)
        _check_prices(prices, volume)
    except BadRow as bad:
        where = "" if bad.row is None else f" {row_name(bad.row)}:"
        raise MarketDataError(f"{file}:{where} {bad.reason}") from None
    try:
        return Candles(open_time_ms=times, **prices, volume=volume, step_ms=step_ms)
    except InvalidInput as exc:  # every rule is checked above; kept as a last guard
        raise MarketDataError(f"{file}: {exc}") from exc


def _by_name(table: Any, file: str) -> dict[str, Any]:
    columns = {name.strip().lower(): table.column(i) for i, name in enumerate(table.column_names)}
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        has = ", ".join(table.column_names) or "none"
        raise MarketDataError(
            f"{file}: missing column(s) {', '.join(missing)} "
            f"(needs timestamp, open, high, low, close and optionally volume; has {has})"
        )
    return columns


def times_ms(column: Any) -> npt.NDArray[np.int64]:
    """Open times as epoch ms from ms integers, timestamps or ISO-8601 text (naive = UTC)."""
    _refuse_nulls(column, "timestamp")
    kind = column.type
    if pa.types.is_integer(kind):
        values = _ints(column)
    elif pa.types.is_timestamp(kind):
        as_ms = column.cast(pa.timestamp("ms", tz=kind.tz), safe=False)
        values = _ints(as_ms)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        values = _text_times_ms(column)
    else:
        raise BadRow(None, f"timestamp must be ms since the epoch or ISO-8601 text (got {kind})")
    outside = np.flatnonzero((values < _MS_RANGE[0]) | (values >= _MS_RANGE[1]))
    if len(outside):
        i = int(outside[0])
        raise BadRow(i, f"timestamp must be milliseconds since the epoch (got {int(values[i])})")
    return values


def _ints(column: Any) -> npt.NDArray[np.int64]:
    return _array(column.cast(pa.int64()), np.int64)


def _array(column: Any, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A column of `dtype`'s Arrow type and without nulls, as one numpy array read from its
    buffers: Arrow's own `to_numpy` imports pandas (a large part of a short command)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    width = np.dtype(dtype).itemsize
    parts = [
        np.frombuffer(
            chunk.buffers()[1], dtype=dtype, count=len(chunk), offset=chunk.offset * width
        )
        for chunk in chunks
        if len(chunk)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _text_times_ms(column: Any) -> npt.NDArray[np.int64]:
    if pc.all(pc.match_substring_regex(column, _INTEGER_TEXT.pattern)).as_py():
        return _ints(column)
    for kind in (pa.timestamp("ms", tz="UTC"), pa.timestamp("ms")):  # aware, then naive
        cast = _cast_or_none(column, kind)
        if cast is not None:
            return _ints(cast)
    return np.array(  # mixed forms, or a bad value: one by one, naming the first bad one
        [_text_time_ms(i, text) for i, text in enumerate(column.to_pylist())], dtype=np.int64
    )


def _text_time_ms(row: int, text: str) -> int:
    if _INTEGER_TEXT.match(text.strip()):
        return int(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRow(
            row, f"timestamp must be ms since the epoch or ISO-8601 (got {text!r})"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def numbers(column: Any, name: str) -> npt.NDArray[np.float64]:
    """A price or volume column as float64; text is parsed, the first bad value named."""
    _refuse_nulls(column, name)
    cast = _cast_or_none(column, pa.float64())
    if cast is None:  # text with a bad value: find and name it
        return _parse_numbers(column, name)
    return _array(cast, np.float64)


def _cast_or_none(column: Any, kind: Any) -> Any:
    """The column cast by Arrow as a whole, or None when Arrow cannot read one of its
    values in that type (the callers then parse value by value, naming the bad one)."""
    try:
        return column.cast(kind)
    except _UNCASTABLE:
        return None


def _parse_numbers(column: Any, name: str) -> npt.NDArray[np.float64]:
    values = []
    for i, value in enumerate(column.to_pylist()):
        try:
            values.append(float(value))
        except (TypeError, ValueError):
            raise BadRow(i, f"{name} must be a number (got {value!r})") from None
    return np.array(values, dtype=np.float64)


def _refuse_nulls(column: Any, name: str) -> None:
    if column.null_count:
        first = pc.index(pc.is_null(column), True).as_py()
        raise BadRow(int(first), f"{name} is empty")


def _check_times(times: npt.NDArray[np.int64]) -> int:
    """The step (smallest spacing, 1 minute for a single row); rows must increase on it."""
    if len(times) < 2:
        return MINUTE_MS
    steps = np.diff(times)
    backwards = np.flatnonzero(steps <= 0)
    if len(backwards):
        i = int(backwards[0]) + 1
        what = "repeats" if steps[i - 1] == 0 else "is before"
        raise BadRow(
            i, f"timestamp {_shown(times[i])} {what} the previous row's {_shown(times[i - 1])}"
        )
    step_ms = int(steps.min())
    off_grid = np.flatnonzero(steps % step_ms)
    if len(off_grid):
        i = int(off_grid[0]) + 1
        raise BadRow(
            i,
            f"timestamp {_shown(times[i])} is {int(steps[i - 1])} ms after the previous "
            f"row, not a multiple of the {step_ms} ms step",
        )
    return step_ms


def _check_prices(prices: dict[str, npt.NDArray[np.float64]], volume: npt.NDArray[Any]) -> None:
    o, h, lo, c = (prices[name] for name in PRICE_COLUMNS)
    stacked = np.stack([o, h, lo, c])
    rules = [
        (~np.isfinite(stacked).all(axis=0) | (stacked <= 0).any(axis=0), "prices must be > 0"),
        (lo > np.minimum(o, c), "low is above open or close"),
        (h < np.maximum(o, c), "high is below open or close"),
        (~np.isfinite(volume) | (volume < 0), "volume must be >= 0"),
    ]
    for bad, reason in rules:
        rows = np.flatnonzero(bad)
        if len(rows):
            i = int(rows[0])
            shown = " ".join(
                f"{name}={float(column[i])!r}"
                for name, column in (*prices.items(), ("volume", volume))
            )
            raise BadRow(i, f"{reason} (got {shown})")


def _shown(time_ms: np.int64) -> str:
    moment = _EPOCH + timedelta(milliseconds=int(time_ms))
    return f"{int(time_ms)} ({moment:%Y-%m-%d %H:%M:%S} UTC)"
