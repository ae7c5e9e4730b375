"""A Parquet cache in front of a candle source: each minute range is fetched once.

Files live under `root/SOURCE-NAME/SYMBOL/1m/YYYY-MM-DD.parquet`, one per UTC day, each
holding its final candles and the ranges already fetched, so a gap the source
confirmed inside a fetched range is not asked again, and a range not fetched yet is
asked once. The cache is disposable: delete it and it refills.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from os import PathLike
from pathlib import Path

from sigtrack.adapters.market.day_files import (
    CachedDay,
    day_of,
    read_day,
    with_fetched,
    write_day,
)
from sigtrack.adapters.market.ranges import Range, ceil_minute, final_end_ms, subtract
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import InvalidInput, MarketDataError
from sigtrack.services.ports import CandleSource

logger = logging.getLogger(__name__)

# How long an exchange may be late publishing a minute: an empty stretch at the end of a
# fetched range counts as fetched only once it is this old (before that it may fill in).
LATE_DATA_MS = 86_400_000
_UNSAFE_IN_PATH = re.compile(r"[^A-Za-z0-9_-]")


class CachedCandleSource:
    """A `CandleSource` that keeps what `source` returned in Parquet files under `root`.

    `now_ms` is the clock that decides which minutes are final (default: the local
    clock); nothing at or after the candle still forming is stored or marked fetched.
    """

    def __init__(
        self,
        source: CandleSource,
        root: str | PathLike[str],
        *,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self._source = source
        self._root = Path(root)
        self._clock = now_ms or (lambda: int(time.time() * 1000))
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._source.name

    def folder(self, symbol: str) -> Path:
        """Where the day files of `symbol` live."""
        return (
            self._root / _path_part(self.name, "source name") / _path_part(symbol, "symbol") / "1m"
        )

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        now_ms = self._clock()
        first = ceil_minute(start_ms)
        end = min(ceil_minute(end_ms), final_end_ms(now_ms))
        if first >= end:
            return Candles.empty()
        folder = self.folder(symbol)
        with self._lock:
            days = {day: read_day(folder, day) for day in _days(first, end)}
            covered = [part for cached in days.values() for part in cached.fetched]
            for missing in subtract((first, end), covered):
                fetched, candles = self._fetch(symbol, missing, now_ms)
                if len(candles) or fetched[0] < fetched[1]:
                    self._store(folder, days, fetched, candles)
        joined = Candles.empty()
        for day in sorted(days):
            joined = joined.concat(days[day].candles)
        return joined.between(start_ms, end)

    def _fetch(self, symbol: str, wanted: Range, now_ms: int) -> tuple[Range, Candles]:
        """The final candles of `wanted` and the part of it that now counts as fetched."""
        start, end = wanted
        candles = self._source.candles(symbol, start, end)
        if candles.step_ms != MINUTE_MS:
            raise MarketDataError(
                f"candle cache: {self.name} gave {symbol} candles {candles.step_ms} ms apart; "
                f"the cache holds 1-minute candles"
            )
        candles = candles.between(start, min(end, final_end_ms(now_ms)))
        data_end = candles.end_ms or start
        tail_is_settled = end <= now_ms - LATE_DATA_MS
        return (start, end if data_end >= end or tail_is_settled else data_end), candles

    def _store(
        self, folder: Path, days: dict[date, CachedDay], fetched: Range, candles: Candles
    ) -> None:
        for day in list(days):
            lo, hi = days[day].bounds
            if fetched[1] <= lo or fetched[0] >= hi:
                continue
            days[day] = with_fetched(days[day], candles, fetched)
            try:
                write_day(folder, days[day])
            except OSError as exc:  # the candles are still returned; the cache is disposable
                logger.warning("candle cache: cannot write %s for %s: %s", folder, day, exc)


def _days(start_ms: int, end_ms: int) -> list[date]:
    first, last = day_of(start_ms), day_of(end_ms - 1)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _path_part(text: str, field: str) -> str:
    part = _UNSAFE_IN_PATH.sub("_", text)
    if not part:
        raise InvalidInput(field, f"must not be empty (got {text!r})")
    return part
