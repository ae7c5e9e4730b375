"""Write the GENERATED 1-minute candles `make demo` settles its open signals against.

The hourly prices are those of make_demo_history.py (same seed, same draws), so the
candles pass through the prices the example signals were given at. Between two hours
the minute path is a Brownian bridge in log price whose volatility follows a slow
GARCH-like regime (and the history's lull over the last weekend), with Student-t
(fat-tailed) shocks; each minute's high and low come from four sub-steps, rounded to the
coin's tick. Volume is lognormal. The candles cover the last nine days of the history
(where the open signals live) and stop at its end.

Same seed, same bytes: `.venv/bin/python scripts/make_demo_candles.py`.
"""

from __future__ import annotations

import random
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_demo_history as history

CANDLE_SEED = 20261124
FIRST_DAY = history.DAYS - 9  # 2026-11-07: the last nine days, before the oldest open signal
OUT = history.OUT / "candles"
SUBSTEPS = 4


def minute_path(rng: np.random.Generator, hourly: list[float], vol: float) -> np.ndarray:
    """Log prices at every minute and sub-step from FIRST_DAY to the end, via the hours."""
    hours = np.log(np.array([*hourly[FIRST_DAY * 24 :], hourly[-1]]))
    steps = 60 * SUBSTEPS
    sigma = vol / np.sqrt(steps)
    regime = np.exp(np.cumsum(rng.normal(0, 0.05, len(hours))))  # slow volatility regimes
    regime /= regime.mean()
    pieces = []
    for h in range(len(hours) - 1):
        calm = history.calm(FIRST_DAY * 24 + h)  # the history's lull, within the hours too
        shocks = rng.standard_t(4, steps) / np.sqrt(2) * sigma * regime[h] * calm
        walk = np.concatenate([[0.0], np.cumsum(shocks)])
        bridge = walk - np.linspace(0, 1, steps + 1) * walk[-1]  # pinned at both hours
        pieces.append(hours[h] + bridge[:-1] + np.linspace(0, 1, steps + 1)[:-1] * (
            hours[h + 1] - hours[h]))  # fmt: skip
    pieces.append(hours[-1:])
    return np.concatenate(pieces)


def candles_for(rng: np.random.Generator, coin: history.Coin, hourly: list[float]) -> pa.Table:
    prices = np.exp(minute_path(rng, hourly, coin.hourly_vol))
    tick = 10.0**-coin.decimals
    minutes = (len(prices) - 1) // SUBSTEPS
    grid = prices[: minutes * SUBSTEPS + 1]
    open_ = np.round(grid[:-1:SUBSTEPS] / tick) * tick
    close = np.round(grid[SUBSTEPS::SUBSTEPS] / tick) * tick
    inside = grid[:-1].reshape(minutes, SUBSTEPS)
    high = np.maximum(np.ceil(inside.max(axis=1) / tick) * tick, np.maximum(open_, close))
    low = np.minimum(np.floor(inside.min(axis=1) / tick) * tick, np.minimum(open_, close))
    start = history.START + timedelta(days=FIRST_DAY)
    start_ms = int(start.timestamp() * 1000)
    times = start_ms + 60_000 * np.arange(minutes, dtype=np.int64)
    volume = np.round(rng.lognormal(3, 1, minutes), 3)
    decimals = coin.decimals
    return pa.table(
        {
            "timestamp": pa.array(times, pa.int64()),
            "open": np.round(open_, decimals),
            "high": np.round(high, decimals),
            "low": np.round(low, decimals),
            "close": np.round(close, decimals),
            "volume": volume,
        }
    )


def main() -> None:
    rng = random.Random(history.SEED)
    history.signal_times(rng)  # the same draws as make_demo_history, up to the prices
    paths = history.price_paths(rng)
    generator = np.random.default_rng(CANDLE_SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    for coin in history.COINS:
        table = candles_for(generator, coin, paths[coin.symbol])
        pq.write_table(
            table,
            OUT / f"{coin.symbol}.parquet",
            compression="zstd",
            compression_level=19,
            use_byte_stream_split=["open", "high", "low", "close", "volume"],
            use_dictionary=False,
        )
    (OUT / "README.md").write_text(
        "# GENERATED 1-minute candles for `make demo`\n\n"
        "Not market data. Written by `scripts/make_demo_candles.py` (seed "
        f"{CANDLE_SEED}) through the hourly prices of `make_demo_history.py`: a Brownian "
        "bridge in log price with fat-tailed shocks and slow volatility regimes, rounded "
        "to each coin's tick. One Parquet file per symbol (`timestamp` in ms UTC, open, "
        f"high, low, close, volume), {history.DAYS - FIRST_DAY} days up to the end of "
        "the example history.\n",
        encoding="utf-8",
    )
    print(f"wrote {len(history.COINS)} candle files to {OUT}")


if __name__ == "__main__":
    main()
