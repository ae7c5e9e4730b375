"""Fixtures for the market adapters: the loopback fake exchange and real candle files."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from real_candles import ONE_DAY, TEN_DAYS, load_reference

from fake_exchange import FakeBinance
from sigtrack.adapters.market.exchange import CcxtCandleSource
from sigtrack.core.candles import Candles


@pytest.fixture
def one_day() -> Candles:
    return load_reference(ONE_DAY)


@pytest.fixture
def ten_days() -> Candles:
    return load_reference(TEN_DAYS)


@pytest.fixture
def fake_binance() -> Iterator[FakeBinance]:
    with FakeBinance() as fake:
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    """The pauses a source asked for between retries (nothing really sleeps)."""
    return []


@pytest.fixture
def make_source(
    fake_binance: FakeBinance, sleeps: list[float]
) -> Iterator[Callable[..., CcxtCandleSource]]:
    """A CcxtCandleSource talking to the fake exchange, fast: tiny backoff and rate limit."""
    made: list[CcxtCandleSource] = []

    def make(**overrides: object) -> CcxtCandleSource:
        options: dict[str, object] = {
            "api_url": fake_binance.url,
            "timeout_s": 2.0,
            "backoff_s": 0.001,
            "rate_limit_ms": 1.0,
            "sleep": sleeps.append,
        }
        options.update(overrides)
        source = CcxtCandleSource(**options)  # type: ignore[arg-type]
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()
