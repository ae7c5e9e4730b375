"""Settling the open signals from candles: one pass over them, grouped by symbol.

A pass reads the open signals once, as columns, then claims their symbols one by one (where
several monitors share a PostgreSQL store, each symbol goes to one of them per pass, and a
claimed symbol's signals are read again as they are now), and reads each claimed symbol's
candles once, from where the earliest of its signals stopped reading; runs the batch engine
resuming every signal from its saved progress; stores the new progress of the signals it
moved (closing what closed, with an event per TP hit and close at the candle's time),
straight from the engine's columns; and then tells the hooks. The monitor is this pass in a
loop.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from functools import cache

import numpy as np
import numpy.typing as npt

from sigtrack.core.batch_signals import NO_TIME, OutcomeBatch, SignalBatch
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import MarketDataError, SigtrackError
from sigtrack.core.outcomes import (
    CloseKind,
    Outcome,
    datetime_to_ms,
    exit_reason_for,
    result_for,
)
from sigtrack.core.pass_report import PassChanges, PassReport, Settled
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.resolution import settle_many
from sigtrack.services.collector import collector_paused
from sigtrack.services.ports import CandleSource, OpenSignals, SettledRows, SignalStore

# The values a pass returns are the core's; they are named here too, as this service's answer.
__all__ = [
    "ACTOR", "NOTE", "WRITE_ROWS", "OnProgress", "PassChanges", "PassReport", "SettleHook",
    "Settled", "SettlingService", "run_monitor",
]  # fmt: skip

logger = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

ACTOR = "monitor"
NOTE = "settled from candles"
WRITE_ROWS = 50_000  # signals per write transaction (and per step of the progress)


SettleHook = Callable[[Settled], None]
OnProgress = Callable[[int, int], None]  # (open signals settled so far, all of them)


class SettlingService:
    def __init__(
        self,
        store: SignalStore,
        source: CandleSource,
        policy: ResolutionPolicy,
        *,
        hooks: Sequence[SettleHook] = (),
        announce: bool = False,
        owner: str | None = None,
    ) -> None:
        # who claims the symbols a pass settles (other monitors on the store skip them)
        self._owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self._announce = announce  # queue the pass's TP hits and closes in the outbox
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

    def run_pass(
        self,
        *,
        now: datetime,
        symbols: Collection[str] | None = None,
        progress: OnProgress | None = None,
    ) -> PassReport:
        """Settle every open signal (of `symbols`, if given) with the candles final by `now`.

        `progress(done, total)` is told how many open signals are settled, as it goes.
        """
        # a pass over many signals makes rows, texts and tuples by the hundred thousand,
        # none of them cycles: the collector's full passes over them would be pure cost
        with collector_paused():
            return self._run_pass(now=now, symbols=symbols, progress=progress)

    def _run_pass(
        self, *, now: datetime, symbols: Collection[str] | None, progress: OnProgress | None
    ) -> PassReport:
        started = time.monotonic()
        chosen = None if symbols is None else set(symbols)
        # what to claim, by symbol, from the index: a monitor sharing the store reads only
        # the signals of the symbols it gets (every monitor reading all of them each pass
        # cost as much as settling its share)
        counts = self._store.open_counts(symbols=chosen)
        names, total, done, checked = sorted(counts), sum(counts.values()), 0, 0
        tell = progress or (lambda done, total: None)
        tell(0, total)
        unshared: _Grouped | None = None  # one read of them all, when no monitor shares
        parts: list[PassChanges] = []
        failures: list[tuple[str, str]] = []
        settled_here: list[str] = []
        emptied = 0  # unshared: nothing open by the read (closed by hand meanwhile)
        with self._store.claim_symbols(names, owner=self._owner) as claims:
            for symbol in claims:
                if claims.is_shared:  # as it is now that no other monitor can move it
                    group = self._store.open_signals(symbols={symbol})
                    if not len(group):  # settled by another monitor since the count
                        continue
                else:
                    unshared = unshared or _Grouped(self._store.open_signals(symbols=chosen))
                    group = unshared.of(symbol)
                    if not len(group):  # closed since the counts were read
                        emptied += 1
                        continue
                settled_here.append(symbol)
                checked += len(group)
                try:
                    for step, part in self._settle_symbol(symbol, group, now):
                        parts.append(part)
                        tell(min(total, done + step), total)
                except MarketDataError as exc:
                    logger.warning("%s: no candles this pass: %s", symbol, exc)
                    failures.append((symbol, str(exc)))
                done = min(total, done + len(group))
                tell(done, total)
        tell(total, total)
        elsewhere = len(names) - len(settled_here) - emptied  # by other monitors
        if claims.is_shared:
            logger.info(
                "pass of %s: %d of %d symbols settled here, %d by other monitors: %s",
                self._owner, len(settled_here), len(names), elsewhere, ",".join(settled_here),
            )  # fmt: skip
        rule = self._policy.describe()
        report = PassReport(
            checked=checked,
            symbols=len(settled_here),
            claimed_elsewhere=elsewhere,
            changes=PassChanges.joined(parts, rule),
            failures=tuple(failures),
            rule=rule,
            elapsed_s=time.monotonic() - started,
        )
        self._store.record_pass(report.record(at=now, source=self.source_name))
        return report

    def _settle_symbol(
        self, symbol: str, group: OpenSignals, now: datetime
    ) -> Iterator[tuple[int, PassChanges]]:
        """Settle one symbol's open signals; yields (signals done, what was stored) as the
        writes go, WRITE_ROWS signals a transaction."""
        rule = self._policy.describe()
        since = [o if o is not None and o.rule == rule else None for o in group.outcomes]
        starts = [_reading_from(o) for o in since if o is not None]
        fresh = np.array([o is None for o in since], dtype=bool)
        if fresh.any():  # the others start at their creation
            starts.append(int(group.created_ms[fresh].min()))
        start_ms = min(starts)
        now_ms = datetime_to_ms(now)
        if start_ms >= now_ms:
            return
        candles = self._source.candles(symbol, start_ms, now_ms)
        batch = _signal_batch(group, self._policy)
        resume = (
            None
            if all(o is None for o in since)
            else OutcomeBatch.from_outcomes(since, batch, self._policy, candles)
        )
        before = None if resume is None else resume.copy()
        state = settle_many(batch, candles, self._policy, since=resume)
        changed = _changed(before, state, since)
        new_hits = _new_hits(group, state)
        for first in range(0, len(changed), WRITE_ROWS):
            rows = changed[first : first + WRITE_ROWS]
            yield int(rows[-1]) + 1, self._write(group, state, rows, new_hits, now)

    def _write(
        self, group: OpenSignals, state: OutcomeBatch, rows: I64, new_hits: B, now: datetime
    ) -> PassChanges:
        """Store these rows; tell the hooks of the TP hits and closes stored."""
        labels = [
            _closing_labels(kind, done, moved)
            for kind, done, moved in zip(
                state.close_kind[rows].tolist(), state.legs_done[rows].tolist(),
                (state.stop[rows] != state.signals.stop[rows]).tolist(), strict=True,
            )
        ]  # fmt: skip
        results = [result for result, _ in labels]
        settled = SettledRows(
            keys=group.keys[rows],
            signal_ids=[group.signal_ids[i] for i in rows.tolist()],
            stamps=[group.stamps[i] for i in rows.tolist()],
            created_ms=group.created_ms[rows],
            outcomes=state,
            rows=rows,
            new_hits=new_hits[rows],
            results=results,
            exit_reasons=[reason for _, reason in labels],
            actor=ACTOR,
            note=NOTE,
        )
        told = np.flatnonzero(settled.new_hits.any(axis=1) | settled.closed)
        before = (
            {k: self._store.get(settled.signal_ids[k]) for k in told.tolist()}
            if self._hooks
            else {}
        )
        written = self._store.save_settled(settled, now=now, announce=self._announce)
        kept = told[written[told]]
        for k in kept.tolist():
            if k in before:
                hits = tuple(j + 1 for j in np.flatnonzero(settled.new_hits[k]).tolist())
                self._tell_hooks(
                    Settled(record=before[k], outcome=settled.outcome(k), new_hits=hits)
                )
        picked = rows[kept]
        return PassChanges(
            signal_ids=[settled.signal_ids[k] for k in kept.tolist()],
            new_hits=settled.new_hits[kept],
            hit_ms=state.hit_ms[picked],
            results=[results[k] for k in kept.tolist()],
            exit_reasons=[settled.exit_reasons[k] for k in kept.tolist()],
            pnl_pct=state.pnl_pct[picked],
            r_multiple=state.r_multiple[picked],
            closed_at_ms=settled.closed_at_ms[kept],
            is_ambiguous=state.is_ambiguous[picked],
            rule=state.rule,
        )

    def _tell_hooks(self, change: Settled) -> None:
        for hook in self._hooks:
            try:
                hook(change)
            except Exception:  # a failing announcement must not stop settling
                logger.exception("settle hook %r failed for %s", hook, change.signal_id)


class _Grouped:
    """One read of the open signals, taken apart by symbol."""

    def __init__(self, found: OpenSignals) -> None:
        self._found = found
        names = sorted(set(found.symbols))  # (np.unique sorts 100,000 objects: ~40 ms)
        self._number = {name: number for number, name in enumerate(names)}
        self._groups = np.fromiter(map(self._number.__getitem__, found.symbols), np.int64,
                                   len(found))  # fmt: skip
        self._whole = len(names) == 1

    def of(self, symbol: str) -> OpenSignals:
        number = self._number.get(symbol)
        if number is None:
            return self._found.take(np.zeros(0, dtype=np.int64))
        if self._whole:
            return self._found
        return self._found.take(np.flatnonzero(self._groups == number))


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


def _reading_from(previous: Outcome) -> int:
    """Where a signal resumed from its saved progress reads its candles from."""
    progress = previous.progress
    if progress.horizon_complete:
        return progress.next_ms
    return min(progress.next_ms, progress.horizon_next_ms)


def _signal_batch(group: OpenSignals, policy: ResolutionPolicy) -> SignalBatch:
    """The engine's columns of the signals (what SignalBatch.from_signals makes of them)."""
    lives = {tf: (policy.life_ms(Timeframe(tf)), policy.horizon_ms(Timeframe(tf)))
             for tf in set(group.timeframes)}  # fmt: skip
    life = np.array([lives[tf][0] for tf in group.timeframes], dtype=np.int64)
    horizon = np.array([lives[tf][1] for tf in group.timeframes], dtype=np.int64)
    return SignalBatch.from_arrays(
        is_long=group.is_long, entry=group.entry, stop=group.stop, targets=group.targets,
        created_ms=group.created_ms, life_ms=life, policy=policy, horizon_ms=horizon,
    )  # fmt: skip


# The columns of a settling state; the derived ones (PnL, R, MFE / MAE) follow from them.
_STATE = ("legs_done", "close_kind", "stop", "next_ms", "fav_max", "adv_max", "last_close",
          "gaps", "is_ambiguous", "horizon_next_ms", "horizon_fav_max", "horizon_adv_max",
          "horizon_complete", "hit_ms", "exit_ms", "exit_price")  # fmt: skip


def _changed(before: OutcomeBatch | None, after: OutcomeBatch, since: Sequence[object]) -> I64:
    """Rows whose outcome is not the one the pass resumed from (all rows settled afresh)."""
    changed = np.array([previous is None for previous in since], dtype=bool)
    if before is not None:
        for name in _STATE:
            old, new = getattr(before, name), getattr(after, name)
            same = old == new
            if old.dtype.kind == "f":
                same |= np.isnan(old) & np.isnan(new)
            changed |= ~same if same.ndim == 1 else ~same.all(axis=1)
    rows: I64 = np.flatnonzero(changed)
    return rows


def _new_hits(group: OpenSignals, state: OutcomeBatch) -> B:
    """Targets reached now that the stored outcome (under any rule) had not reached: a
    policy change re-announces nothing."""
    width = state.hit_ms.shape[1]
    known = np.full((len(group), width), NO_TIME, dtype=np.int64)
    for i, outcome in enumerate(group.outcomes):
        if outcome is not None:
            for j, leg in enumerate(outcome.legs[:width]):
                if leg.hit_ms is not None:
                    known[i, j] = leg.hit_ms
    hits: B = (state.hit_ms != NO_TIME) & (known == NO_TIME)
    return hits


@cache
def _closing_labels(kind: int, legs_done: int, stop_moved: bool) -> tuple[str | None, str | None]:
    """(result, exit reason) of how a plan ended (the values the Outcome would hold)."""
    close = CloseKind(kind)
    result = result_for(close, legs_done)
    reason = exit_reason_for(close, legs_done, stop_moved)
    return (None if result is None else result.value, None if reason is None else reason.value)
