"""An in-memory SignalStore for service tests (the real one is tested in tests/adapters)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import numpy as np
import numpy.typing as npt

from sigtrack.core.bot_records import PassRecord
from sigtrack.core.errors import (
    SignalAlreadyClosed,
    SignalIdConflict,
    SignalNotFound,
    StorageError,
)
from sigtrack.core.outcomes import Outcome, datetime_to_ms
from sigtrack.core.records import (
    Activity,
    Closing,
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.signals import (
    EventKind,
    Result,
    Side,
    Status,
    base_signal_id,
    same_content,
    suffixed_signal_id,
)
from sigtrack.core.stats import ResultCounts
from sigtrack.services.ports import (
    AddOutcome,
    AddStatus,
    NewSignal,
    OpenSignals,
    SettledRows,
    SettleUpdate,
    SymbolClaims,
)


class FakeStore:
    def __init__(self) -> None:
        self.records: dict[str, SignalRecord] = {}
        self.history: dict[str, list[SignalEvent]] = {}
        self.activity: list[Activity] = []
        self.counts_asked: list[tuple[datetime, datetime]] = []
        self.saved: list[list[SettleUpdate]] = []  # every save_outcomes call, in order
        self.failing_reads = 0  # the next n list_signals calls raise StorageError
        self.passes: list[PassRecord] = []  # every record_pass, in order
        self.announced: list[bool] = []  # the `announce` of every save_settled call
        # symbols other monitors hold: a pass's claims skip them (shared when any are set)
        self.held_elsewhere: set[str] = set()
        self.claims: list[tuple[str, list[str]]] = []  # (owner, symbols got) of every claim

    def add_signals(
        self, items: Sequence[NewSignal], *, now: datetime, on_conflict: str = "raise"
    ) -> list[AddOutcome]:
        staged = dict(self.records)
        outcomes = []
        for item in items:
            signal_id = item.signal.signal_id
            if signal_id is None:
                base = base_signal_id(
                    item.signal.user_id, item.signal.symbol, item.signal.created_at
                )
                n = 1
                while suffixed_signal_id(base, n) in staged:
                    n += 1
                signal_id = suffixed_signal_id(base, n)
            elif signal_id in staged:
                differences = same_content(staged[signal_id].signal, item.signal)
                if differences and on_conflict == "raise":
                    raise SignalIdConflict(signal_id, ", ".join(differences))
                status = AddStatus.CONFLICT if differences else AddStatus.UNCHANGED
                outcomes.append(AddOutcome(signal_id=signal_id, status=status))
                continue
            status_ = Status.CLOSED if item.closing else Status.ACTIVE
            staged[signal_id] = SignalRecord(
                signal_id=signal_id, signal=replace(item.signal, signal_id=signal_id),
                status=status_, closing=item.closing,
            )  # fmt: skip
            self.history[signal_id] = [
                SignalEvent(kind=EventKind.CREATED, at=now, actor=item.actor)
            ]
            outcomes.append(AddOutcome(signal_id=signal_id, status=AddStatus.ADDED))
        self.records = staged
        return outcomes

    def get(self, signal_id: str) -> SignalRecord:
        if signal_id not in self.records:
            raise SignalNotFound(signal_id)
        return self.records[signal_id]

    def list_signals(
        self, *, status: Status | None = None, oldest_first: bool = False, **_: object
    ) -> Iterator[SignalRecord]:
        if self.failing_reads:
            self.failing_reads -= 1
            raise StorageError("database unavailable: the fake is down")
        matching = [r for r in self.records.values() if status is None or r.status is status]
        ordered = sorted(matching, key=lambda r: r.signal.created_at, reverse=not oldest_first)
        return iter(ordered)

    def close(
        self, signal_id: str, closing: Closing, *, actor: str, note: str | None,
        override: bool, now: datetime,
    ) -> SignalRecord:  # fmt: skip
        record = self.get(signal_id)
        if record.status is Status.CLOSED and not override:
            raise SignalAlreadyClosed(signal_id, str(record.result))
        kind = EventKind.OVERRIDE if record.status is Status.CLOSED else EventKind.CLOSED
        self.history[signal_id].append(SignalEvent(kind=kind, at=now, actor=actor, note=note))
        self.records[signal_id] = replace(record, status=Status.CLOSED, closing=closing)
        return self.records[signal_id]

    def events(self, signal_id: str) -> list[SignalEvent]:
        self.get(signal_id)
        return self.history[signal_id]

    def save_outcomes(self, updates: Sequence[SettleUpdate], *, now: datetime) -> list[str]:
        """Like the SQL store: open signals only (one closed by hand meanwhile is kept)."""
        self.saved.append(list(updates))
        written = []
        for update in updates:
            record = self.records.get(update.signal_id)
            if record is None or record.status is not Status.ACTIVE:
                continue
            self._apply(update.signal_id, update.outcome, update.events)
            written.append(update.signal_id)
        return written

    def _apply(self, signal_id: str, outcome: Outcome, events: Sequence[SignalEvent]) -> None:
        closing = None
        if outcome.status is Status.CLOSED:
            assert outcome.result and outcome.exit_reason and outcome.closed_at
            closing = Closing(
                result=outcome.result, exit_reason=outcome.exit_reason,
                closed_at=outcome.closed_at, pnl_pct=outcome.pnl_pct,
            )  # fmt: skip
        self.records[signal_id] = replace(
            self.records[signal_id], status=outcome.status, closing=closing, outcome=outcome
        )
        self.history[signal_id].extend(events)

    def open_counts(self, *, symbols: Collection[str] | None = None) -> dict[str, int]:
        if self.failing_reads:
            self.failing_reads -= 1
            raise StorageError("database unavailable: the fake is down")
        counts: dict[str, int] = {}
        for r in self.list_signals(status=Status.ACTIVE):
            if symbols is None or r.signal.symbol in symbols:
                counts[r.signal.symbol] = counts.get(r.signal.symbol, 0) + 1
        return counts

    def open_signals(self, *, symbols: Collection[str] | None = None) -> OpenSignals:
        """Like the SQL store: one read of the open signals as columns, oldest first."""
        if self.failing_reads:
            self.failing_reads -= 1
            raise StorageError("database unavailable: the fake is down")
        found = [
            r for r in self.list_signals(status=Status.ACTIVE, oldest_first=True)
            if symbols is None or r.signal.symbol in symbols
        ]  # fmt: skip
        targets = np.full((len(found), max((len(r.signal.targets) for r in found), default=1)),
                          np.nan)  # fmt: skip
        for i, r in enumerate(found):
            targets[i, : len(r.signal.targets)] = r.signal.targets
        return OpenSignals(
            keys=np.arange(len(found), dtype=np.int64),
            signal_ids=[r.signal_id for r in found],
            symbols=[r.signal.symbol for r in found],
            is_long=np.array([r.signal.side is Side.LONG for r in found], dtype=bool),
            entry=np.array([r.signal.entry for r in found]),
            stop=np.array([r.signal.stop for r in found]),
            targets=targets,
            created_ms=np.array(
                [datetime_to_ms(r.signal.created_at) for r in found], dtype=np.int64
            ),
            timeframes=[r.signal.timeframe.value for r in found],
            outcomes=[r.outcome for r in found],
            stamps=[_stamp(r.outcome) for r in found],
        )

    @contextmanager
    def claim_symbols(self, symbols: Collection[str], *, owner: str) -> Iterator[SymbolClaims]:
        """Like the SQL store: the symbols no other monitor holds, one by one as asked."""
        got: list[str] = []
        self.claims.append((owner, got))

        def claiming() -> Iterator[str]:
            for symbol in sorted(set(symbols) - self.held_elsewhere):
                got.append(symbol)
                yield symbol

        yield SymbolClaims(symbols=claiming(), is_shared=bool(self.held_elsewhere))

    def record_pass(self, record: PassRecord) -> None:
        self.passes.append(record)

    def last_pass(self) -> PassRecord | None:
        return self.passes[-1] if self.passes else None

    def save_settled(
        self, settled: SettledRows, *, now: datetime, announce: bool = False
    ) -> npt.NDArray[np.bool_]:
        """Like the SQL store: open signals whose outcome is still the stamp only."""
        self.announced.append(announce)
        self.saved.append([
            SettleUpdate(signal_id=signal_id, outcome=settled.outcome(k),
                         events=settled.events(k))
            for k, signal_id in enumerate(settled.signal_ids)
        ])  # fmt: skip
        written = np.zeros(len(settled), dtype=bool)
        for k, signal_id in enumerate(settled.signal_ids):
            record = self.records.get(signal_id)
            if record is None or record.status is not Status.ACTIVE:
                continue
            if _stamp(record.outcome) != settled.stamps[k]:
                continue
            self._apply(signal_id, settled.outcome(k), settled.events(k))
            written[k] = True
        return written

    def result_counts(self, since: datetime, until: datetime) -> ResultCounts:
        self.counts_asked.append((since, until))
        by_result: dict[Result, int] = {}
        open_, pnl_sum, pnl_n = 0, 0.0, 0
        for r in self.records.values():
            if not since <= r.signal.created_at < until:
                continue
            if r.closing is None:
                open_ += 1
                continue
            by_result[r.closing.result] = by_result.get(r.closing.result, 0) + 1
            if r.closing.pnl_pct is not None and r.closing.result is not Result.CANCELLED:
                pnl_sum, pnl_n = pnl_sum + r.closing.pnl_pct, pnl_n + 1
        return ResultCounts(open=open_, by_result=by_result, pnl_sum_pct=pnl_sum, pnl_count=pnl_n)

    def add_activity(self, items: Sequence[Activity], *, dedupe: bool = False) -> int:
        new = [a for a in items if not (dedupe and a in self.activity)]
        self.activity.extend(new)
        return len(new)

    def list_activity(self) -> Iterator[Activity]:
        return iter(self.activity)

    def dispose(self) -> None:
        pass


def _stamp(outcome: Outcome | None) -> str | None:
    """The fake's stored form of an outcome, as the pass's stamps compare it."""
    return None if outcome is None else json.dumps(outcome.to_json())
