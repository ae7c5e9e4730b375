"""What is stored about a signal beyond the signal itself: its closing, history, commands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
