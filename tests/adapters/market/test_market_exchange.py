"""CcxtCandleSource: the real ccxt client against the loopback fake Binance USDⓈ-M."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from fake_exchange import MAX_KLINES, FakeBinance
from sigtrack.adapters.market.exchange import CcxtCandleSource
from sigtrack.core.candles import MINUTE_MS, Candles, Gap
from sigtrack.core.errors import InvalidInput, MarketDataError, UnknownSymbol

MakeSource = Callable[..., CcxtCandleSource]
COLUMNS = ("open_time_ms", "open", "high", "low", "close", "volume")


def assert_same(got: Candles, expected: Candles) -> None:
    assert got.step_ms == expected.step_ms
    for name in COLUMNS:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)


def without_row(candles: Candles, row: int) -> Candles:
    return candles.between(0, int(candles.open_time_ms[row])).concat(
        candles.between(int(candles.open_time_ms[row]) + MINUTE_MS, 2**62)
    )


def test_a_real_day_is_read_across_pages_with_its_exchange_gap_left_out(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    start, end = int(one_day.open_time_ms[0]), one_day.end_ms or 0

    got = make_source().candles("BTCUSDT", start, end)

    assert_same(got, one_day)
    assert got.gaps() == one_day.gaps() == [Gap(after_ms=1670905680000, missing=1)]
    hole = 1670905680000 + MINUTE_MS
    assert [r.start_ms for r in fake_binance.klines_asked].count(hole) == 1  # re-read once
    assert fake_binance.requests["klines"] >= 4  # 1439 rows need several pages


def test_more_than_1500_rows_are_paged_to_the_end(
    fake_binance: FakeBinance, make_source: MakeSource, ten_days: Candles
) -> None:
    fake_binance.serve("BTCUSDT", ten_days)
    start, end = int(ten_days.open_time_ms[0]), ten_days.end_ms or 0

    got = make_source().candles("BTCUSDT", start, end)

    assert len(got) == 13681 > MAX_KLINES
    assert_same(got, ten_days)
    assert all(r.limit <= MAX_KLINES for r in fake_binance.klines_asked)


def test_nothing_outside_the_asked_range_is_read(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    start = int(one_day.open_time_ms[100]) - 30_000  # mid-minute: the next candle is first
    end = int(one_day.open_time_ms[700])

    got = make_source().candles("BTCUSDT", start, end)

    assert_same(got, one_day.between(start, end))
    assert int(got.open_time_ms[0]) == int(one_day.open_time_ms[100])
    asked = fake_binance.klines_asked
    assert all(r.start_ms is not None and r.start_ms >= start for r in asked)
    assert all(r.end_ms is not None and r.end_ms <= end - 1 for r in asked)


def _fault_429(fake: FakeBinance, day: Candles) -> None:
    fake.fail("klines", 429, times=2, retry_after_s=2)


def _fault_500(fake: FakeBinance, day: Candles) -> None:
    fake.fail("klines", 500, times=2)


def _fault_503_on_markets(fake: FakeBinance, day: Candles) -> None:
    fake.fail("exchangeInfo", 503)


def _fault_timeout(fake: FakeBinance, day: Candles) -> None:
    fake.stall("klines", 1.5)


def _fault_timeout_on_time(fake: FakeBinance, day: Candles) -> None:
    fake.stall("time", 1.5)


def _fault_short_pages(fake: FakeBinance, day: Candles) -> None:
    fake.shorten_pages(37, times=4)


def _fault_missing_minute(fake: FakeBinance, day: Candles) -> None:
    fake.drop_once("BTCUSDT", int(day.open_time_ms[700]))


def _fault_missing_first_minutes(fake: FakeBinance, day: Candles) -> None:
    fake.drop_once("BTCUSDT", int(day.open_time_ms[0]))
    fake.drop_once("BTCUSDT", int(day.open_time_ms[1]))


def _fault_missing_page_end(fake: FakeBinance, day: Candles) -> None:
    fake.drop_once("BTCUSDT", int(day.open_time_ms[499]))  # the last row of the first page


@pytest.mark.parametrize(
    "inject",
    [
        _fault_429,
        _fault_500,
        _fault_503_on_markets,
        _fault_timeout,
        _fault_timeout_on_time,
        _fault_short_pages,
        _fault_missing_minute,
        _fault_missing_first_minutes,
        _fault_missing_page_end,
    ],
    ids=lambda f: f.__name__.removeprefix("_fault_"),
)
def test_every_transient_fault_gives_the_same_candles_as_a_clean_read(
    fake_binance: FakeBinance,
    make_source: MakeSource,
    one_day: Candles,
    inject: Callable[[FakeBinance, Candles], None],
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    start, end = int(one_day.open_time_ms[0]), one_day.end_ms or 0
    clean = make_source().candles("BTCUSDT", start, end)
    inject(fake_binance, one_day)

    got = make_source(timeout_s=0.4).candles("BTCUSDT", start, end)

    assert fake_binance.faults_left == 0  # every injected fault was met
    assert_same(got, clean)
    assert_same(got, one_day)


def test_a_429_waits_at_least_what_retry_after_asks(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles, sleeps: list[float]
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    fake_binance.fail("klines", 429, retry_after_s=3)

    make_source().candles("BTCUSDT", int(one_day.open_time_ms[0]), one_day.end_ms or 0)

    assert sleeps == [3.0]  # the backoff alone would be 0.001 s


def test_a_retry_after_given_as_an_http_date_is_waited_for_too(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles, sleeps: list[float]
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    fake_binance.fail("klines", 429, retry_after_s=5, retry_after_as_date=True)

    make_source().candles("BTCUSDT", int(one_day.open_time_ms[0]), one_day.end_ms or 0)

    assert sleeps == [5.0]  # measured from the answer's Date header


def test_a_retry_after_beyond_a_minute_is_not_waited_for(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles, sleeps: list[float]
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    fake_binance.fail("klines", 429, retry_after_s=3600)

    with pytest.raises(MarketDataError, match="asks to wait 3600 s"):
        make_source().candles("BTCUSDT", int(one_day.open_time_ms[0]), one_day.end_ms or 0)
    assert sleeps == []
    assert fake_binance.requests["klines"] == 1


def test_a_minute_the_exchange_skipped_is_a_confirmed_gap_after_one_reread(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    skipped = int(one_day.open_time_ms[700])
    fake_binance.skip("BTCUSDT", skipped)

    got = make_source().candles("BTCUSDT", int(one_day.open_time_ms[0]), one_day.end_ms or 0)

    assert_same(got, without_row(one_day, 700))
    assert Gap(after_ms=skipped - MINUTE_MS, missing=1) in got.gaps()
    assert [r.start_ms for r in fake_binance.klines_asked].count(skipped) == 1


def test_the_candle_still_forming_is_dropped_until_it_closes(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    forming = int(one_day.open_time_ms[600])
    fake_binance.now_ms = forming + 30_000
    source = make_source()  # no clock given: the exchange's server time decides
    start, end = int(one_day.open_time_ms[0]), one_day.end_ms or 0

    before = source.candles("BTCUSDT", start, end)
    fake_binance.now_ms = forming + MINUTE_MS
    after = source.candles("BTCUSDT", start, end)

    assert_same(before, one_day.between(start, forming))
    assert fake_binance.requests["time"] == 2
    assert_same(after, one_day.between(start, forming + MINUTE_MS))
    assert float(after.close[-1]) == float(one_day.close[600])


def test_a_local_clock_replaces_the_server_time(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    forming = int(one_day.open_time_ms[600])
    fake_binance.now_ms = forming + 59_000

    got = make_source(now_ms=lambda: forming + 59_000).candles(
        "BTCUSDT", int(one_day.open_time_ms[0]), one_day.end_ms or 0
    )

    assert int(got.open_time_ms[-1]) == forming - MINUTE_MS
    assert fake_binance.requests["time"] == 0


def test_a_symbol_the_exchange_does_not_list_is_unknown(
    fake_binance: FakeBinance, make_source: MakeSource
) -> None:
    with pytest.raises(UnknownSymbol, match="'DOGEUSDT' is not listed on binance-usdm"):
        make_source().candles("DOGEUSDT", 1670889600000, 1670976000000)
    assert fake_binance.requests["klines"] == 0


def test_retries_exhausted_raise_a_market_data_error(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles, sleeps: list[float]
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    fake_binance.fail("klines", 500, times=50)

    with pytest.raises(MarketDataError, match=r"BTCUSDT .* failed after 3 attempts"):
        make_source(max_retries=2).candles("BTCUSDT", 1670889600000, 1670976000000)
    assert fake_binance.requests["klines"] == 3
    assert sleeps == [0.001, 0.002]


def test_timeouts_exhausted_name_the_timeout(
    fake_binance: FakeBinance, make_source: MakeSource
) -> None:
    fake_binance.stall("exchangeInfo", 1.0, times=2)

    with pytest.raises(MarketDataError, match=r"loading the markets failed .*RequestTimeout"):
        make_source(max_retries=1, timeout_s=0.2).candles("BTCUSDT", 0, MINUTE_MS)


def test_an_empty_or_future_range_reads_no_candles(
    fake_binance: FakeBinance, make_source: MakeSource, one_day: Candles
) -> None:
    fake_binance.serve("BTCUSDT", one_day)
    source = make_source()

    assert len(source.candles("BTCUSDT", 1670889600000, 1670889600000)) == 0
    assert len(source.candles("BTCUSDT", fake_binance.now_ms, fake_binance.now_ms + 10**7)) == 0
    assert fake_binance.requests["klines"] == 0


@pytest.mark.parametrize(
    ("exchange", "market", "ccxt_id", "market_type"),
    [
        ("binance", "usdm", "binanceusdm", "swap"),
        ("binance", "spot", "binance", "spot"),
        ("binance", "coinm", "binancecoinm", "swap"),
        ("bybit", "spot", "bybit", "spot"),
        ("okx", "swap", "okx", "swap"),
    ],
)
def test_exchange_and_market_choose_the_ccxt_client(
    exchange: str, market: str, ccxt_id: str, market_type: str
) -> None:
    source = CcxtCandleSource(exchange, market)

    assert (source.name, source.ccxt_id, source.market_type) == (
        f"{exchange}-{market}",
        ccxt_id,
        market_type,
    )


@pytest.mark.parametrize(
    ("exchange", "market", "field"),
    [("nosuchexchange", "spot", "exchange"), ("binance", "margin", "market")],
)
def test_an_unknown_exchange_or_market_is_refused(exchange: str, market: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        CcxtCandleSource(exchange, market)
    assert caught.value.field == field
    assert repr(exchange if field == "exchange" else market) in str(caught.value)
