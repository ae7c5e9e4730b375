"""Real exchange candles from the shared data folder, read without the adapters under test."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow.csv as pa_csv
import pytest

from sigtrack.core.candles import Candles

CANDLE_DIR = Path(
    os.environ.get(
        "SIGTRACK_TEST_CANDLES_DIR",
        Path(__file__).resolve().parents[3].parent / "shared" / "data" / "candles",
    )
)
ONE_DAY = "lean_cryptofuture_binance_btcusd_1m_20221213.csv"  # 1439 rows, one exchange gap
TEN_DAYS = "freqtrade_UNITTEST_BTC-1m.csv"  # 13681 rows with 538 gaps


def load_reference(name: str) -> Candles:
    """A real candle file read straight with pyarrow; skips the test when data is absent."""
    path = CANDLE_DIR / name
    if not path.is_file():
        pytest.skip(f"real candle data not found: {path} (set SIGTRACK_TEST_CANDLES_DIR)")
    table = pa_csv.read_csv(path)
    return Candles(
        open_time_ms=table["timestamp"].to_numpy(),
        **{
            column: np.asarray(table[column].to_numpy(), dtype=np.float64)
            for column in ("open", "high", "low", "close", "volume")
        },
    )
