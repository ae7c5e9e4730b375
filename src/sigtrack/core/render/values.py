"""Values as every rendering shows them: times in the display zone, fractions as percent."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sigtrack.core.stats import CountSummary
from sigtrack.core.texts import format_pct

Json = dict[str, Any]


def iso(moment: datetime | None, zone: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def pct(fraction: float | None) -> float | None:
    """A fraction as a percent number (JSON); None stays None."""
    return None if fraction is None else fraction * 100


def interval_pct(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [interval[0] * 100, interval[1] * 100]


def rate_text(fraction: float | None) -> str:
    """A fraction as text, `71.1%`; "—" for no value."""
    return format_pct(pct(fraction))


def counts_json(s: CountSummary) -> Json:
    """The numbers every summary has (DESIGN §4), keyed the same wherever they are shown."""
    return {
        "total": s.total,
        "wins": s.wins,
        "losses": s.losses,
        "expired": s.expired,
        "breakeven": s.breakeven,
        "cancelled": s.cancelled,
        "open": s.open,
        "winrate_pct": pct(s.winrate),
        "winrate_interval_pct": interval_pct(s.interval),
        "strict_winrate_pct": pct(s.strict_winrate),
        "avg_pnl_pct": s.avg_pnl_pct,
    }
