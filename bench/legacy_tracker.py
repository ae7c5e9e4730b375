"""The OLD file-based tracker, re-implemented for comparison only (not part of sigtrack).

It does what `../shared/origin/auto_signal_tracking.md` describes, the plain way:

- `track_signal_given(...)` appends one JSON line to `signal_logs/active_signals.jsonl`;
- `update_signal_outcome(signal_id, hit_tp, pnl_percent)` reads the whole active file,
  removes that signal, rewrites the whole active file and appends the completed record
  to `signal_logs/completed_signals.jsonl`;
- `get_current_winrate(days)` parses every line of the completed file, keeps those whose
  `timestamp` lies within `days`, and counts total / wins / losses / winrate / avg PnL.

Timestamps are naive local time (`datetime.now().isoformat()`), as the old code wrote
them. Errors are printed, never raised, as in the old code. `LOG_DIR` may be reassigned.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

LOG_DIR = Path("signal_logs")


def active_file() -> Path:
    return LOG_DIR / "active_signals.jsonl"


def completed_file() -> Path:
    return LOG_DIR / "completed_signals.jsonl"


def _now() -> datetime:
    return datetime.now()  # noqa: DTZ005 - naive local time, as the old tracker wrote it


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
    try:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        now = _now()
        signal_id = f"{user_id}_{symbol}_{int(now.timestamp())}"
        record = {
            "signal_id": signal_id,
            "timestamp": now.isoformat(),
            "user_id": user_id,
            "symbol": symbol,
            "timeframe": timeframe,
            "signal_type": signal_type,
            "entry_price": entry_price,
            "tp1": tp1,
            "tp2": tp2,
            "sl": sl,
            "status": "ACTIVE",
        }
        with active_file().open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return signal_id
    except Exception as e:
        print(f"Error tracking signal: {e}")
        return None


def update_signal_outcome(signal_id: str, hit_tp: bool, pnl_percent: float) -> None:
    try:
        path = active_file()
        if not path.exists():
            return
        with path.open(encoding="utf-8") as f:
            signals = [json.loads(line) for line in f if line.strip()]
        found = next((s for s in signals if s.get("signal_id") == signal_id), None)
        if found is None:
            print(f"Signal {signal_id} not found")
            return
        remaining = [s for s in signals if s.get("signal_id") != signal_id]
        with path.open("w", encoding="utf-8") as f:
            for s in remaining:
                f.write(json.dumps(s) + "\n")
        found["status"] = "CLOSED"
        found["result"] = "WIN" if hit_tp else "LOSS"
        found["pnl_percent"] = pnl_percent
        found["closed_at"] = _now().isoformat()
        with completed_file().open("a", encoding="utf-8") as f:
            f.write(json.dumps(found) + "\n")
    except Exception as e:
        print(f"Error updating signal outcome: {e}")


def get_current_winrate(days: int = 7) -> dict[str, Any] | None:
    try:
        path = completed_file()
        if not path.exists():
            return None
        cutoff = _now() - timedelta(days=days)
        total = wins = losses = 0
        pnl_sum = 0.0
        with path.open(encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                signal = json.loads(line)
                if datetime.fromisoformat(signal["timestamp"]) < cutoff:
                    continue
                total += 1
                if signal.get("result") == "WIN":
                    wins += 1
                elif signal.get("result") == "LOSS":
                    losses += 1
                pnl_sum += signal.get("pnl_percent") or 0.0
        return {
            "total_signals": total,
            "wins": wins,
            "losses": losses,
            "winrate": round(wins / total * 100, 2) if total else 0,
            "avg_pnl": round(pnl_sum / total, 2) if total else 0,
        }
    except Exception as e:
        print(f"Error calculating winrate: {e}")
        return None
