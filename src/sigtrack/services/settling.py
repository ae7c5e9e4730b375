"""Settling the open signals from candles: one pass over them, grouped by symbol.

A pass reads each symbol's candles once, from where the earliest of its signals stopped
reading, runs the batch engine resuming every signal from its saved progress, stores
the new progress (closing what closed, with an event per TP hit and close at the
candle's time) and then tells the hooks. The monitor is this pass in a loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sigtrack.core.errors import MarketDataError, SigtrackError
from sigtrack.core.outcomes import Outcome, datetime_to_ms, ms_to_datetime
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.records import SignalEvent, SignalRecord
from sigtrack.core.resolution import settle_many
from sigtrack.core.signals import EventKind, Status
from sigtrack.services.ports import CandleSource, SettleUpdate, SignalStore

logger = logging.getLogger(__name__)

ACTOR = "monitor"


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


SettleHook = Callable[[Settled], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PassReport:
    checked: int = 0  # open signals looked at
    symbols: int = 0
    changes: tuple[Settled, ...] = ()  # signals with a TP hit or a close in this pass
    failures: tuple[tuple[str, str], ...] = ()  # (symbol, why) for symbols not read
    rule: str = ""

    @property
    def closed(self) -> list[Settled]:
        return [change for change in self.changes if change.is_closed]

    @property
    def still_open(self) -> int:
        return self.checked - len(self.closed)


class SettlingService:
    def __init__(
        self,
        store: SignalStore,
        source: CandleSource,
        policy: ResolutionPolicy,
        *,
        hooks: Sequence[SettleHook] = (),
    ) -> None:
        self._store = store
        self._source = source
        self._policy = policy
        self._hooks = list(hooks)

    @property
    def source_name(self) -> str:
        return self._source.name

    def add_hook(self, hook: SettleHook) -> None:
        """Call `hook` after every stored TP hit or close (e.g. the bot announcing it)."""
        self._hooks.append(hook)

    def run_pass(self, *, now: datetime, symbols: Collection[str] | None = None) -> PassReport:
        """Settle every open signal (of `symbols`, if given) with the candles final by `now`."""
        groups: dict[str, list[SignalRecord]] = defaultdict(list)
        for record in self._store.list_signals(status=Status.ACTIVE, oldest_first=True):
            if symbols is None or record.signal.symbol in symbols:
                groups[record.signal.symbol].append(record)
        changes: list[Settled] = []
        failures: list[tuple[str, str]] = []
        for symbol, group in sorted(groups.items()):
            try:
                changes += self._settle_symbol(symbol, group, now)
            except MarketDataError as exc:
                logger.warning("%s: no candles this pass: %s", symbol, exc)
                failures.append((symbol, str(exc)))
        return PassReport(
            checked=sum(len(group) for group in groups.values()),
            symbols=len(groups),
            changes=tuple(changes),
            failures=tuple(failures),
            rule=self._policy.describe(),
        )

    def _settle_symbol(
        self, symbol: str, group: list[SignalRecord], now: datetime
    ) -> list[Settled]:
        rule = self._policy.describe()
        since = [r.outcome if r.outcome and r.outcome.rule == rule else None for r in group]
        start_ms = min(_reading_from(r, previous) for r, previous in zip(group, since, strict=True))
        now_ms = datetime_to_ms(now)
        if start_ms >= now_ms:
            return []
        candles = self._source.candles(symbol, start_ms, now_ms)
        outcomes = settle_many(
            [r.signal for r in group], candles, self._policy, since=since
        ).outcomes()
        updates, changes = [], []
        for record, previous, outcome in zip(group, since, outcomes, strict=True):
            if outcome == previous:
                continue
            change = _change(record, record.outcome, outcome)  # hits known under any rule
            updates.append(
                SettleUpdate(
                    signal_id=record.signal_id,
                    outcome=outcome,
                    previous=record.outcome,
                    events=_events(change),
                )
            )
            if change.new_hits or change.is_closed:
                changes.append(change)
        written = set(self._store.save_outcomes(updates, now=now))
        kept = [change for change in changes if change.signal_id in written]
        for change in kept:
            self._tell_hooks(change)
        return kept

    def _tell_hooks(self, change: Settled) -> None:
        for hook in self._hooks:
            try:
                hook(change)
            except Exception:  # a failing announcement must not stop settling
                logger.exception("settle hook %r failed for %s", hook, change.signal_id)


def run_monitor(
    service: SettlingService,
    *,
    every_s: float,
    stop: threading.Event,
    clock: Callable[[], datetime],
    max_passes: int | None = None,
    on_pass: Callable[[PassReport], None] | None = None,
    symbols: Collection[str] | None = None,
) -> int:
    """Run passes every `every_s` seconds until `stop` is set (or `max_passes` ran).

    A pass that fails (the database is down, say) is logged and retried at the next tick;
    the loop ends only when told to. Returns the number of passes run.
    """
    passes = 0
    while not stop.is_set() and (max_passes is None or passes < max_passes):
        started = time.monotonic()
        try:
            report = service.run_pass(now=clock(), symbols=symbols)
        except SigtrackError as exc:
            logger.error("settling pass failed: %s", exc)
        else:
            if on_pass is not None:
                on_pass(report)
        passes += 1
        if max_passes is not None and passes >= max_passes:
            break
        stop.wait(max(0.0, every_s - (time.monotonic() - started)))
    return passes


def _reading_from(record: SignalRecord, previous: Outcome | None) -> int:
    """Where this signal's candles start: its saved progress, else its creation."""
    if previous is None:
        return datetime_to_ms(record.signal.created_at)
    progress = previous.progress
    if progress.horizon_complete:
        return progress.next_ms
    return min(progress.next_ms, progress.horizon_next_ms)


def _change(record: SignalRecord, previous: Outcome | None, outcome: Outcome) -> Settled:
    before = previous.legs if previous else ()
    hits = tuple(
        j + 1
        for j, leg in enumerate(outcome.legs)
        if leg.hit_ms is not None and (j >= len(before) or before[j].hit_ms is None)
    )
    return Settled(record=record, outcome=outcome, new_hits=hits)


def _events(change: Settled) -> tuple[SignalEvent, ...]:
    outcome = change.outcome
    events = [
        SignalEvent(
            kind=EventKind.TP_HIT,
            at=ms_to_datetime(outcome.legs[number - 1].hit_ms),  # type: ignore[arg-type]
            actor=ACTOR,
            data={"target": number, "price": outcome.legs[number - 1].target},
        )
        for number in change.new_hits
    ]
    if change.is_closed:
        assert outcome.result is not None and outcome.exit_reason is not None
        events.append(
            SignalEvent(
                kind=EventKind.CLOSED,
                at=outcome.closed_at,  # type: ignore[arg-type]
                actor=ACTOR,
                note="settled from candles",
                data={
                    "result": outcome.result.value,
                    "exit_reason": outcome.exit_reason.value,
                    "pnl_pct": outcome.pnl_pct,
                    "r_multiple": outcome.r_multiple,
                    "ambiguous": "yes" if outcome.is_ambiguous else "no",
                    "rule": outcome.rule,
                },
            )
        )
    return tuple(events)
