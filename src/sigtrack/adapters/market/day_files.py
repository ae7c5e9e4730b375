"""One UTC day of cached 1-minute candles in a Parquet file, with the ranges it has fetched.

The fetched ranges sit in the file's schema metadata, so candles and coverage are
replaced together: a write goes to a temporary file in the same folder, is flushed to
disk, then renamed over the old one. A file that cannot be read back whole (torn by a
crash, corrupted, or not ours) is reported, removed and treated as never fetched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from sigtrack.adapters.market.ranges import Range, merge
from sigtrack.core.candles import MINUTE_MS, Candles

logger = logging.getLogger(__name__)

DAY_MS = 86_400_000
_FETCHED_KEY = b"sigtrack.fetched"
_COLUMNS = ("open_time_ms", "open", "high", "low", "close", "volume")
_SCHEMA = pa.schema(
    [("open_time_ms", pa.int64())] + [(name, pa.float64()) for name in _COLUMNS[1:]]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedDay:
    """The candles of one UTC day and the parts of the day already fetched."""

    day: date
    candles: Candles
    fetched: tuple[Range, ...]

    @property
    def bounds(self) -> Range:
        start = day_start_ms(self.day)
        return start, start + DAY_MS


def day_of(time_ms: int) -> date:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=time_ms)).date()


def day_start_ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS


def day_path(folder: Path, day: date) -> Path:
    return folder / f"{day:%Y-%m-%d}.parquet"


def empty_day(day: date) -> CachedDay:
    return CachedDay(day=day, candles=Candles.empty(), fetched=())


def read_day(folder: Path, day: date) -> CachedDay:
    """The cached day; never fetched when the file is absent, torn or inconsistent."""
    path = day_path(folder, day)
    if not path.exists():
        return empty_day(day)
    try:
        return _read(path, day)
    except (OSError, pa.ArrowException, ValueError, KeyError, TypeError) as exc:
        logger.warning("candle cache: discarding unreadable %s (%s); it will be re-fetched",
                       path, exc)  # fmt: skip
        with contextlib.suppress(OSError):  # a file we cannot remove is overwritten later
            path.unlink(missing_ok=True)
        return empty_day(day)


def _read(path: Path, day: date) -> CachedDay:
    table = pq.read_table(path, page_checksum_verification=True)
    if table.schema.remove_metadata() != _SCHEMA:
        raise ValueError(f"unexpected columns {table.schema.names}")
    meta = table.schema.metadata or {}
    fetched = [(int(start), int(end)) for start, end in json.loads(meta[_FETCHED_KEY])]
    columns = {name: table.column(name).to_numpy() for name in _COLUMNS}
    candles = Candles(**columns)  # InvalidInput is a ValueError: a corrupt file
    cached = CachedDay(day=day, candles=candles, fetched=tuple(merge(fetched)))
    _check_consistent(cached)
    return cached


def _check_consistent(cached: CachedDay) -> None:
    lo, hi = cached.bounds
    if any(not lo <= start < end <= hi for start, end in cached.fetched):
        raise ValueError(f"fetched ranges {cached.fetched} leave the day")
    times = cached.candles.open_time_ms
    inside = np.zeros(len(times), dtype=bool)
    for start, end in cached.fetched:
        inside |= (times >= start) & (times < end)
    if not inside.all() or (times % MINUTE_MS).any():
        raise ValueError("candles outside the fetched ranges or off the minute grid")


def write_day(folder: Path, cached: CachedDay) -> None:
    """Replace the day's file in one step (temp file, fsync, rename); OSError on failure."""
    folder.mkdir(parents=True, exist_ok=True)
    path = day_path(folder, cached.day)
    table = pa.Table.from_arrays(
        [getattr(cached.candles, name) for name in _COLUMNS],
        schema=_SCHEMA.with_metadata({_FETCHED_KEY: json.dumps(cached.fetched).encode()}),
    )
    descriptor, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            pq.write_table(table, stream, write_page_checksum=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable where the OS allows syncing a directory."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself was synced
    finally:
        os.close(descriptor)


def with_fetched(cached: CachedDay, candles: Candles, fetched: Range) -> CachedDay:
    """The day with new candles (they win over stored ones) and one more fetched range."""
    lo, hi = cached.bounds
    new = candles.between(lo, hi)
    times = np.concatenate([new.open_time_ms, cached.candles.open_time_ms])
    _, first = np.unique(times, return_index=True)  # sorted; the new row for a repeated time
    merged: dict[str, Any] = {
        name: np.concatenate([getattr(new, name), getattr(cached.candles, name)])[first]
        for name in _COLUMNS
    }
    ranges = merge([*cached.fetched, (max(fetched[0], lo), min(fetched[1], hi))])
    return CachedDay(day=cached.day, candles=Candles(**merged), fetched=tuple(ranges))
