"""CachedCandleSource: Parquet day files in front of a source, each range fetched once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fake_exchange import FakeBinance
from sigtrack.adapters.market.cache import LATE_DATA_MS, CachedCandleSource
from sigtrack.adapters.market.exchange import CcxtCandleSource
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import MarketDataError, UnknownSymbol

MakeSource = Callable[..., CcxtCandleSource]
T0 = 1670889600000  # 2022-12-13 00:00 UTC, the first minute of the real day
DAY_FILE = Path("binance-usdm") / "BTCUSDT" / "1m" / "2022-12-13.parquet"


class RecordingSource:
    """A CandleSource over given candles that records every range it is asked for."""

    name = "stub-exchange"

    def __init__(self, candles: Candles) -> None:
        self.data = candles
        self.asked: list[tuple[int, int]] = []

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        self.asked.append((start_ms, end_ms))
        return self.data.between(start_ms, end_ms)


def assert_same(got: Candles, expected: Candles) -> None:
    for name in ("open_time_ms", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)


def minute(n: int) -> int:
    return T0 + n * MINUTE_MS


@pytest.fixture
def cached(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles, tmp_path: Path
) -> CachedCandleSource:
    """The real day behind the fake exchange, read through a cache in tmp_path."""
    fake_binance.serve("BTCUSDT", one_day)
    return CachedCandleSource(make_source(), tmp_path, now_ms=lambda: fake_binance.now_ms)


def test_a_second_read_asks_the_exchange_nothing(
    cached: CachedCandleSource,
    fake_binance: FakeBinance,
    make_source: MakeSource,
    one_day: Candles,
    tmp_path: Path,
) -> None:
    first = cached.candles("BTCUSDT", T0, minute(1440))
    assert fake_binance.requests["klines"] > 0
    fake_binance.reset_counts()

    again = cached.candles("BTCUSDT", T0, minute(1440))
    part = cached.candles("BTCUSDT", minute(100), minute(400))
    reopened = CachedCandleSource(make_source(), tmp_path).candles("BTCUSDT", T0, minute(1440))

    assert sum(fake_binance.requests.values()) == 0
    assert (tmp_path / DAY_FILE).is_file()
    for got in (first, again, reopened):
        assert_same(got, one_day)
    assert_same(part, one_day.between(minute(100), minute(400)))
    assert len(again.gaps()) == 1  # the exchange's own gap, kept as a gap


def test_only_the_missing_range_is_fetched(
    cached: CachedCandleSource, fake_binance: FakeBinance, one_day: Candles
) -> None:
    cached.candles("BTCUSDT", T0, minute(300))  # holds the exchange gap at minute 269
    fake_binance.reset_counts()

    got = cached.candles("BTCUSDT", T0, minute(900))

    assert_same(got, one_day.between(T0, minute(900)))
    asked = fake_binance.klines_asked
    assert asked
    assert all(r.start_ms is not None and r.start_ms >= minute(300) for r in asked)
    assert all(r.end_ms is not None and r.end_ms < minute(900) for r in asked)


def test_a_range_over_several_days_is_fetched_in_one_call_and_kept_per_day(
    ten_days: Candles, tmp_path: Path
) -> None:
    source = RecordingSource(ten_days)
    cache = CachedCandleSource(source, tmp_path, now_ms=lambda: 2 * 10**12)
    start, end = int(ten_days.open_time_ms[0]), int(ten_days.open_time_ms[0]) + 3 * 86_400_000

    got = cache.candles("BTCUSDT", start, end)
    cache.candles("BTCUSDT", start + 3_600_000, end - 3_600_000)

    assert source.asked == [(start, end)]
    assert_same(got, ten_days.between(start, end))
    names = sorted(p.name for p in (tmp_path / "stub-exchange" / "BTCUSDT" / "1m").iterdir())
    assert names == [f"2017-11-0{d}.parquet" for d in (4, 5, 6, 7)]


@pytest.mark.parametrize(
    "tear",
    [
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        lambda path: path.write_bytes(b""),
        lambda path: path.write_bytes(b"PAR1" + bytes(200) + b"PAR1"),
        lambda path: pq.write_table(pa.table({"x": [1, 2]}), path),
    ],
    ids=["torn-in-half", "empty", "garbage", "not-ours"],
)
def test_a_torn_or_foreign_day_file_is_discarded_and_fetched_again(
    cached: CachedCandleSource,
    fake_binance: FakeBinance,
    one_day: Candles,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    tear: Callable[[Path], object],
) -> None:
    cached.candles("BTCUSDT", T0, minute(1440))
    tear(tmp_path / DAY_FILE)
    fake_binance.reset_counts()

    with caplog.at_level(logging.WARNING, logger="sigtrack.adapters.market"):
        got = cached.candles("BTCUSDT", T0, minute(1440))

    assert_same(got, one_day)
    assert fake_binance.requests["klines"] > 0
    assert f"discarding unreadable {tmp_path / DAY_FILE}" in caplog.text
    fake_binance.reset_counts()
    assert_same(cached.candles("BTCUSDT", T0, minute(1440)), one_day)  # rewritten whole
    assert fake_binance.requests["klines"] == 0


def test_no_candle_still_forming_is_stored_or_marked_fetched(
    cached: CachedCandleSource, fake_binance: FakeBinance, one_day: Candles, tmp_path: Path
) -> None:
    fake_binance.now_ms = minute(600) + 30_000  # minute 600 is forming

    before = cached.candles("BTCUSDT", T0, minute(1440))
    stored = pq.read_table(tmp_path / DAY_FILE)
    fetched = stored.schema.metadata[b"sigtrack.fetched"]
    fake_binance.now_ms = minute(603) + 10_000
    fake_binance.reset_counts()
    after = cached.candles("BTCUSDT", T0, minute(1440))

    assert_same(before, one_day.between(T0, minute(600)))
    assert max(stored.column("open_time_ms").to_pylist()) == minute(599)
    assert fetched == f"[[{T0}, {minute(600)}]]".encode()
    assert_same(after, one_day.between(T0, minute(603)))  # minute 600 now final, as served
    assert all(r.start_ms == minute(600) for r in fake_binance.klines_asked)


def test_a_minute_the_exchange_has_not_published_yet_is_asked_again(tmp_path: Path) -> None:
    day = Candles.from_rows([[minute(n), 10, 12, 9, 11, 1] for n in range(10)])
    source = RecordingSource(day.between(T0, minute(7)))  # minutes 7..9 are late
    cache = CachedCandleSource(source, tmp_path, now_ms=lambda: minute(10) + 5_000)

    first = cache.candles("BTCUSDT", T0, minute(10))
    source.data = day
    second = cache.candles("BTCUSDT", T0, minute(10))

    assert len(first) == 7
    assert_same(second, day)
    assert second.gaps() == []
    assert source.asked == [(T0, minute(10)), (minute(7), minute(10))]


def test_an_empty_stretch_older_than_a_day_counts_as_fetched(tmp_path: Path) -> None:
    day = Candles.from_rows([[minute(n), 10, 12, 9, 11, 1] for n in range(5)])
    source = RecordingSource(day)
    now = minute(60) + LATE_DATA_MS
    cache = CachedCandleSource(source, tmp_path, now_ms=lambda: now)

    cache.candles("BTCUSDT", T0, minute(60))
    cache.candles("BTCUSDT", T0, minute(60))

    assert source.asked == [(T0, minute(60))]


def test_a_cache_that_cannot_write_still_returns_the_candles(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    day = Candles.from_rows([[minute(n), 10, 12, 9, 11, 1] for n in range(5)])
    blocked = tmp_path / "stub-exchange" / "BTCUSDT"
    blocked.mkdir(parents=True)
    (blocked / "1m").write_text("a file where the folder should be")
    cache = CachedCandleSource(RecordingSource(day), tmp_path, now_ms=lambda: minute(10))

    with caplog.at_level(logging.WARNING, logger="sigtrack.adapters.market"):
        got = cache.candles("BTCUSDT", T0, minute(10))

    assert_same(got, day)
    assert "cannot write" in caplog.text


def test_candles_other_than_one_minute_are_refused(tmp_path: Path) -> None:
    five = Candles.from_rows(
        [[T0 + n * 300_000, 10, 12, 9, 11, 1] for n in range(3)], step_ms=300_000
    )
    cache = CachedCandleSource(RecordingSource(five), tmp_path, now_ms=lambda: minute(60))

    with pytest.raises(MarketDataError, match="300000 ms apart; the cache holds 1-minute"):
        cache.candles("BTCUSDT", T0, minute(15))
    assert not (tmp_path / "stub-exchange").exists()


def test_an_unknown_symbol_passes_through_and_stores_nothing(
    cached: CachedCandleSource, tmp_path: Path
) -> None:
    with pytest.raises(UnknownSymbol):
        cached.candles("DOGEUSDT", T0, minute(10))
    assert not (tmp_path / "binance-usdm" / "DOGEUSDT").exists()


def test_symbol_and_source_names_cannot_leave_the_cache_folder(tmp_path: Path) -> None:
    cache = CachedCandleSource(RecordingSource(Candles.empty()), tmp_path)

    folder = cache.folder("../../etc")

    assert folder.resolve().is_relative_to(tmp_path.resolve())
    assert folder == tmp_path / "stub-exchange" / "______etc" / "1m"


class OverAnsweringSource(RecordingSource):
    """A source that ignores the end asked and answers everything it has."""

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        self.asked.append((start_ms, end_ms))
        return self.data.between(start_ms, 2**62)


def test_candles_past_the_last_final_minute_are_never_stored(tmp_path: Path) -> None:
    day = Candles.from_rows([[minute(n), 10, 12, 9, 11, 1] for n in range(10)])
    cache = CachedCandleSource(OverAnsweringSource(day), tmp_path, now_ms=lambda: minute(5) + 1)

    got = cache.candles("BTCUSDT", T0, minute(10))
    stored = pq.read_table(tmp_path / "stub-exchange" / "BTCUSDT" / "1m" / "2022-12-13.parquet")

    assert_same(got, day.between(T0, minute(5)))
    assert stored.column("open_time_ms").to_pylist() == [minute(n) for n in range(5)]
    assert stored.schema.metadata[b"sigtrack.fetched"] == f"[[{T0}, {minute(5)}]]".encode()
