"""Drop-in replacements for the old tracker's four functions.

Change `from app.signal_tracker_integration import …` to `from sigtrack.compat import …`:
same names, same signatures, same return shapes, and they never raise into the caller
(errors are logged). The store comes from `SIGTRACK_DATABASE_URL` or the SQLite default
and is created or migrated on first use.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sigtrack.core.errors import StoreUnavailable
from sigtrack.tracker import Tracker

logger = logging.getLogger(__name__)

ACTOR = "compat"
_lock = threading.Lock()
_tracker: Tracker | None = None


def _get_tracker() -> Tracker:
    global _tracker  # noqa: PLW0603 - one shared store per process, opened on first use
    with _lock:
        if _tracker is None:
            _tracker = Tracker.from_env()
        return _tracker


def reset() -> None:
    """Forget the shared store (tests, or after changing SIGTRACK_DATABASE_URL)."""
    global _tracker  # noqa: PLW0603
    with _lock:
        if _tracker is not None:
            _tracker.dispose()
        _tracker = None


def track_signal_given(
    user_id: int,
    symbol: str,
    timeframe: str,
    entry_price: float,
    tp1: float,
    tp2: float,
    sl: float,
    signal_type: str = "LONG",
) -> str | None:
    """Record a signal sent to `user_id`; its id, or None when it could not be stored."""
    try:
        receivers = [user_id] if user_id not in (None, 0, "0", "") else []
        signal = {"symbol": symbol, "timeframe": timeframe, "entry_price": entry_price,
                  "tp1": tp1, "tp2": tp2, "sl": sl, "side": signal_type}  # fmt: skip
        return _get_tracker().track(signal, receivers=receivers)
    except Exception:
        logger.exception("track_signal_given failed for %.64r %.16r", symbol, timeframe)
        return None


def update_signal_outcome(signal_id: str, hit_tp: bool, pnl_percent: float) -> None:
    """Close a signal as WIN (hit_tp) or LOSS; a second call corrects the first."""
    try:
        tracker = _get_tracker()
        result = "WIN" if hit_tp else "LOSS"
        try:
            already_closed = tracker.get(signal_id).result is not None
        except StoreUnavailable:  # journaled: a second call must still correct the first
            already_closed = True
        tracker.close(
            signal_id, result=result, pnl_pct=pnl_percent, actor=ACTOR,
            override=already_closed, note="update_signal_outcome" if already_closed else None,
        )  # fmt: skip
    except Exception:
        logger.exception("update_signal_outcome failed for %.140r", signal_id)


def get_current_winrate(days: int = 7) -> dict[str, Any] | None:
    """`{"total_signals", "wins", "losses", "winrate", "avg_pnl"}` (2 decimals, 0 when empty)."""
    try:
        summary = _get_tracker().winrate(days)
        return {
            "total_signals": summary.total,
            "wins": summary.wins,
            "losses": summary.losses,
            "winrate": round(summary.winrate_pct or 0.0, 2),
            "avg_pnl": round(summary.avg_pnl_pct or 0.0, 2),
        }
    except Exception:
        logger.exception("get_current_winrate failed")
        return None


def track_user_command(
    user_id: int,
    username: str | None,
    command: str,
    symbol: str | None = None,
    timeframe: str | None = None,
) -> None:
    """Log a user's command for the weekly activity numbers."""
    try:
        _get_tracker().track_command(user_id, username, command, symbol, timeframe)
    except Exception:
        logger.exception("track_user_command failed for %.64r", command)
