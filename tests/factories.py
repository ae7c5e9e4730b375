"""Small factories shared by the tests."""

from __future__ import annotations

from sigtrack.config import Settings, load_settings


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
