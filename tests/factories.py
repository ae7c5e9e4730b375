"""Small factories shared by the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sigtrack.config import Settings, load_settings
from sigtrack.core.signals import Result, Signal
from sigtrack.core.stats import ResultCounts, WinrateSummary, cohort_start, summarize_winrate

SIGNAL_TIME = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
LONG: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "side": "LONG",
    "timeframe": "15m",
    "entry": 50000.0,
    "targets": (51000.0, 52000.0),
    "stop": 49000.0,
    "created_at": SIGNAL_TIME,
}


def settings_for(url: str, **overrides: object) -> Settings:
    """Settings from nothing but the arguments (the machine's env and files are ignored)."""
    return load_settings(env={}, config_file=None, database_url=url, **overrides)


def bot_signal(**changes: object) -> dict[str, object]:
    """The dict the old bot builds, with changes."""
    signal: dict[str, object] = {
        "symbol": "BTCUSDT",
        "timeframe": "15m",
        "side": "LONG",
        "confidence": 80,
        "reasons": ["Near demand zone", "Dip: -3.2%"],
        "price": 50000.0,
        "entry_price": 50000.0,
        "tp1": 51000.0,
        "tp2": 52000.0,
        "sl": 49000.0,
    }
    signal.update(changes)
    return signal


def make_signal(**changes: Any) -> Signal:
    """A valid LONG `Signal`, with changes."""
    return Signal(**{**LONG, **changes})


def summarize(
    days: int = 7, open_: int = 0, pnl_sum: float = 0.0, pnl_count: int = 0, **by: int
) -> WinrateSummary:
    """A WinrateSummary of given counts (`win=3, loss=1, …`) as of SIGNAL_TIME in Jakarta."""
    counts = ResultCounts(
        open=open_,
        by_result={Result[name.upper()]: n for name, n in by.items()},
        pnl_sum_pct=pnl_sum,
        pnl_count=pnl_count,
    )
    since = cohort_start(SIGNAL_TIME, days, ZoneInfo("Asia/Jakarta"))
    return summarize_winrate(counts, days=days, since=since, until=SIGNAL_TIME)
