"""What is stored about a signal beyond the signal itself: its closing, history, commands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sigtrack.core.errors import InvalidSignal
from sigtrack.core.outcomes import Outcome
from sigtrack.core.signals import EventKind, ExitReason, Result, Signal, Status, to_number


@dataclass(frozen=True, slots=True, kw_only=True)
class Closing:
    """How a signal was closed: by hand, by an import, or (later) from candles."""

    result: Result
    exit_reason: ExitReason
    closed_at: datetime
    pnl_pct: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.closed_at, datetime) or self.closed_at.tzinfo is None:
            raise InvalidSignal(
                "closed_at", f"must be a datetime with a time zone (got {self.closed_at!r})"
            )
        object.__setattr__(self, "closed_at", self.closed_at.astimezone(UTC))
        if self.pnl_pct is not None:
            object.__setattr__(self, "pnl_pct", to_number(self.pnl_pct, "pnl_pct"))


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalRecord:
    """A stored signal and where it stands."""

    signal_id: str
    signal: Signal
    status: Status
    closing: Closing | None = None
    outcome: Outcome | None = None  # settling from candles: details and progress

    @property
    def result(self) -> Result | None:
        return self.closing.result if self.closing else None

    @property
    def pnl_pct(self) -> float | None:
        return self.closing.pnl_pct if self.closing else None

    @property
    def closed_at(self) -> datetime | None:
        return self.closing.closed_at if self.closing else None

    def fields(self) -> dict[str, Any]:
        """The signal and its closing as plain values (lists, aware UTC times), in the order
        every export shows them: the one field list of `show --json`, `list --json` and
        the Parquet / CSV tables."""
        s, c = self.signal, self.closing
        return {
            "signal_id": self.signal_id,
            "symbol": s.symbol,
            "side": s.side.value,
            "timeframe": s.timeframe.value,
            "entry": s.entry,
            "tp1": s.tp1,
            "tp2": s.tp2,
            "targets": list(s.targets),
            "sl": s.stop,
            "status": self.status.value,
            "result": c.result.value if c else None,
            "exit_reason": c.exit_reason.value if c else None,
            "pnl_pct": c.pnl_pct if c else None,
            "created_at": s.created_at,
            "closed_at": c.closed_at if c else None,
            "confidence": s.confidence,
            "reasons": list(s.reasons),
            "tags": list(s.tags),
            "strategy": s.strategy,
            "source": s.source,
            "user_id": s.user_id,
            "receivers": list(s.receivers),
            "exchange": s.exchange,
            "market": s.market,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalEvent:
    """One append-only entry of a signal's history."""

    kind: EventKind
    at: datetime
    actor: str
    note: str | None = None
    data: Mapping[str, str | float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """One user command, as the old `track_user_command` logged it."""

    at: datetime
    user_id: int
    username: str | None
    command: str
    symbol: str | None = None
    timeframe: str | None = None
