"""The fake exchange answers klines the way Binance USDⓈ-M does (checked over plain HTTP)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from fake_exchange import FakeBinance
from sigtrack.core.candles import MINUTE_MS, Candles

T0 = 1670889600000


def klines(fake: FakeBinance, **params: object) -> list[list[object]]:
    query = "&".join(f"{key}={value}" for key, value in {"interval": "1m", **params}.items())
    with urllib.request.urlopen(f"{fake.url}/fapi/v1/klines?{query}", timeout=5) as answer:
        rows: list[list[object]] = json.load(answer)
    return rows


def error_of(fake: FakeBinance, **params: object) -> tuple[int, dict[str, object]]:
    with pytest.raises(urllib.error.HTTPError) as caught:
        klines(fake, **params)
    return caught.value.code, json.load(caught.value)


@pytest.fixture
def fake(fake_binance: FakeBinance) -> FakeBinance:
    rows = [[T0 + n * MINUTE_MS, 10 + n, 12 + n, 9 + n, 11 + n, 2.0] for n in range(2000)]
    fake_binance.serve("BTCUSDT", Candles.from_rows(rows))
    return fake_binance


def test_bounds_are_inclusive_on_the_open_time(fake: FakeBinance) -> None:
    rows = klines(fake, symbol="BTCUSDT", startTime=T0 + MINUTE_MS, endTime=T0 + 3 * MINUTE_MS)

    assert [row[0] for row in rows] == [T0 + n * MINUTE_MS for n in (1, 2, 3)]
    assert rows[0][1:7] == ["11.0", "13.0", "10.0", "12.0", "2.0", T0 + 2 * MINUTE_MS - 1]
    assert len(rows[0]) == 12


def test_limit_defaults_to_500_and_stops_at_1500(fake: FakeBinance) -> None:
    assert len(klines(fake, symbol="BTCUSDT", startTime=T0)) == 500
    assert len(klines(fake, symbol="BTCUSDT", startTime=T0, limit=1500)) == 1500
    assert error_of(fake, symbol="BTCUSDT", startTime=T0, limit=1501) == (
        400,
        {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."},
    )


def test_without_start_the_latest_rows_up_to_the_end_come_back(fake: FakeBinance) -> None:
    rows = klines(fake, symbol="BTCUSDT", endTime=T0 + 99 * MINUTE_MS, limit=3)

    assert [row[0] for row in rows] == [T0 + n * MINUTE_MS for n in (97, 98, 99)]


def test_the_forming_candle_is_served_with_what_traded_so_far(fake: FakeBinance) -> None:
    fake.now_ms = T0 + 5 * MINUTE_MS + 15_000

    rows = klines(fake, symbol="BTCUSDT", startTime=T0, limit=1000)

    assert rows[-1][0] == T0 + 5 * MINUTE_MS
    assert rows[-1][4] == rows[-1][1] == "15.0"  # close is still the open
    assert rows[-1][5] == "0.5"  # a quarter of the minute's volume


def test_skipped_and_dropped_minutes(fake: FakeBinance) -> None:
    fake.skip("BTCUSDT", T0 + MINUTE_MS)
    fake.drop_once("BTCUSDT", T0 + 2 * MINUTE_MS)
    asked = {"symbol": "BTCUSDT", "startTime": T0, "endTime": T0 + 3 * MINUTE_MS}

    first, second = klines(fake, **asked), klines(fake, **asked)

    assert [row[0] for row in first] == [T0, T0 + 3 * MINUTE_MS]
    assert [row[0] for row in second] == [T0, T0 + 2 * MINUTE_MS, T0 + 3 * MINUTE_MS]
    assert fake.requests["klines"] == 2


def test_an_unlisted_symbol_is_refused_like_binance(fake: FakeBinance) -> None:
    assert error_of(fake, symbol="DOGEUSDT") == (400, {"code": -1121, "msg": "Invalid symbol."})
