"""What a settling pass reports: the signals it moved, as columns, and its counts.

Plain values of the core, so that the renderers (`core/render/settling.py`) read them as
they are; the pass itself is `services.settling.SettlingService.run_pass`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from sigtrack.core.batch_signals import NO_TIME
from sigtrack.core.bot_records import PassRecord
from sigtrack.core.outcomes import Outcome, ms_to_datetime
from sigtrack.core.records import SignalRecord
from sigtrack.core.signals import ExitReason, Result, Status

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    """What one pass changed about a signal: targets reached, and maybe its close."""

    record: SignalRecord  # as it was before the pass
    outcome: Outcome
    new_hits: tuple[int, ...]  # 1-based numbers of the targets reached in this pass

    @property
    def signal_id(self) -> str:
        return self.record.signal_id

    @property
    def is_closed(self) -> bool:
        return self.outcome.status is Status.CLOSED


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One signal's TP hits or close in a pass, as a report shows it."""

    signal_id: str
    new_hits: tuple[int, ...]  # 1-based target numbers
    hit_at: tuple[datetime | None, ...]  # per target of the plan: when it was reached
    status: Status
    result: Result | None
    exit_reason: ExitReason | None
    pnl_pct: float | None
    r_multiple: float | None
    closed_at: datetime | None
    is_ambiguous: bool
    rule: str

    @property
    def is_closed(self) -> bool:
        return self.status is Status.CLOSED


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PassChanges:
    """The signals with a TP hit or a close in a pass (as stored), kept as columns."""

    signal_ids: list[str] = field(default_factory=list)
    new_hits: B = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))  # N × legs
    hit_ms: I64 = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    results: list[str | None] = field(default_factory=list)
    exit_reasons: list[str | None] = field(default_factory=list)
    pnl_pct: F64 = field(default_factory=lambda: np.zeros(0))
    r_multiple: F64 = field(default_factory=lambda: np.zeros(0))
    closed_at_ms: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    is_ambiguous: B = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rule: str = ""

    def __len__(self) -> int:
        return len(self.signal_ids)

    def __iter__(self) -> Iterator[Change]:
        return (self.change(k) for k in range(len(self)))

    def change(self, k: int) -> Change:
        result, reason = self.results[k], self.exit_reasons[k]
        pnl, r = float(self.pnl_pct[k]), float(self.r_multiple[k])
        return Change(
            signal_id=self.signal_ids[k],
            new_hits=tuple(j + 1 for j in np.flatnonzero(self.new_hits[k]).tolist()),
            hit_at=tuple(
                ms_to_datetime(None if t == NO_TIME else t) for t in self.hit_ms[k].tolist()
            ),
            status=Status.ACTIVE if result is None else Status.CLOSED,
            result=None if result is None else Result(result),
            exit_reason=None if reason is None else ExitReason(reason),
            pnl_pct=None if math.isnan(pnl) else pnl,
            r_multiple=None if math.isnan(r) else r,
            closed_at=ms_to_datetime(None if result is None else int(self.closed_at_ms[k])),
            is_ambiguous=bool(self.is_ambiguous[k]),
            rule=self.rule,
        )

    @property
    def closed(self) -> B:
        closed: B = np.array([result is not None for result in self.results], dtype=bool)
        return closed

    def count(self, result: Result) -> int:
        return self.results.count(result.value)

    @property
    def tp_hits(self) -> int:
        return int(self.new_hits.sum())

    @classmethod
    def joined(cls, parts: Sequence[PassChanges], rule: str) -> PassChanges:
        parts = [part for part in parts if len(part)]
        if not parts:
            return cls(rule=rule)
        if len(parts) == 1:
            return parts[0]
        return cls(
            signal_ids=[i for part in parts for i in part.signal_ids],
            new_hits=np.concatenate([part.new_hits for part in parts]),
            hit_ms=np.concatenate([part.hit_ms for part in parts]),
            results=[r for part in parts for r in part.results],
            exit_reasons=[r for part in parts for r in part.exit_reasons],
            pnl_pct=np.concatenate([part.pnl_pct for part in parts]),
            r_multiple=np.concatenate([part.r_multiple for part in parts]),
            closed_at_ms=np.concatenate([part.closed_at_ms for part in parts]),
            is_ambiguous=np.concatenate([part.is_ambiguous for part in parts]),
            rule=rule,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PassReport:
    checked: int = 0  # open signals looked at
    symbols: int = 0  # symbols settled (by this monitor, where several share the store)
    claimed_elsewhere: int = 0  # symbols with open signals that other monitors settled
    changes: PassChanges = field(default_factory=PassChanges)  # TP hits and closes stored
    failures: tuple[tuple[str, str], ...] = ()  # (symbol, why) for symbols not read
    rule: str = ""
    elapsed_s: float = 0.0  # how long the pass took

    @property
    def closed(self) -> list[Change]:
        return [self.changes.change(k) for k in np.flatnonzero(self.changes.closed).tolist()]

    @property
    def closed_count(self) -> int:
        return int(self.changes.closed.sum())

    @property
    def tp_hits(self) -> int:
        return self.changes.tp_hits

    @property
    def wins(self) -> int:
        return self.changes.count(Result.WIN)

    @property
    def losses(self) -> int:
        return self.changes.count(Result.LOSS)

    @property
    def expired(self) -> int:
        return self.changes.count(Result.EXPIRED)

    @property
    def still_open(self) -> int:
        return self.checked - self.closed_count

    def record(self, *, at: datetime, source: str) -> PassRecord:
        """The pass as the store keeps it (the last one shows in `/signal_stats`)."""
        return PassRecord(
            at=at, source=source, checked=self.checked, symbols=self.symbols,
            closed=self.closed_count, tp_hits=self.tp_hits, wins=self.wins,
            losses=self.losses, expired=self.expired, failures=len(self.failures),
            elapsed_s=self.elapsed_s,
        )  # fmt: skip
