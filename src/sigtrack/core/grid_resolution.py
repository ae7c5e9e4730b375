"""The TP/SL grid engine: one symbol's signals settled on every target × stop cell at once.

With one target taking 100 % and a fixed stop, a cell's exit is the earlier of two first
passages: the first candle reaching the target and the first reaching the stop. Each is
searched once per distance with the batch engine's sparse-table descent (10 + 10 searches
for a 10 × 10 grid instead of 100 combined ones), and a farther level's search starts
where a nearer one's ended. A cell then decides the candle it exits in with the batch
engine's own rules (`read_exit_candle`) and arithmetic, so every cell agrees with
`settle_many` to the last bit. MFE / MAE and the horizon are not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sigtrack.core.batch_resolution import CHUNK, CandleIndex, read_exit_candle
from sigtrack.core.batch_signals import NO_TIME
from sigtrack.core.outcomes import CloseKind, pnl_and_r
from sigtrack.core.policy import ResolutionPolicy

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, kw_only=True)
class GridSignals:
    """One symbol's signals; a cell puts their levels at entry ± distance × unit."""

    sign: F64  # +1 LONG, −1 SHORT
    entry: F64
    unit: F64  # the price of one unit of distance (|entry − SL| for R, entry / 100 for %)
    created_ms: I64
    expires_ms: I64

    def __len__(self) -> int:
        return len(self.sign)


@dataclass(frozen=True, slots=True, kw_only=True)
class CellOutcomes:
    """How each signal ends in one cell, as `settle_many` would settle it there."""

    is_placed: B  # the cell's levels can be placed (stop > 0, each on its side of the entry)
    close_kind: I64  # CloseKind; OPEN also where not placed
    exit_index: I64  # the candle of the exit; -1 at an expiry, while open, when not placed
    exit_ms: I64  # NO_TIME while open
    exit_price: F64  # NaN while open (and at an expiry before any candle)
    pnl_pct: F64  # NaN unless closed with a price
    r_multiple: F64
    is_ambiguous: B


class SettlingGrid:
    """One symbol's signals on a grid of target × stop distances, 100 % at the target.

    Each distance's first passages are searched the first time a cell needs them, so a
    caller walking the cells sees the work spread over them.
    """

    def __init__(
        self,
        index: CandleIndex,
        signals: GridSignals,
        targets: Sequence[float],
        stops: Sequence[float],
        policy: ResolutionPolicy,
    ) -> None:
        self.index, self.signals, self.policy = index, signals, policy
        self.targets = np.asarray(targets, dtype=np.float64)
        self.stops = np.asarray(stops, dtype=np.float64)
        s = signals
        sign, entry, unit = s.sign[:, None], s.entry[:, None], s.unit[:, None]
        # the same expressions, in the same order, as one cell's levels built alone
        self.target_levels: F64 = entry + sign * self.targets[None, :] * unit
        self.stop_levels: F64 = entry - sign * self.stops[None, :] * unit
        placed_entry = (np.isfinite(s.entry) & (s.entry > 0))[:, None]
        self.target_placed: B = (
            placed_entry
            & np.isfinite(self.target_levels)
            & (sign * self.target_levels > sign * entry)
        )
        self.stop_placed: B = (
            np.isfinite(self.stop_levels)
            & (self.stop_levels > 0)  # a stop at or below zero cannot be placed
            & (sign * self.stop_levels < sign * entry)
        )
        step = index.candles.step_ms
        if len(s) and index.n:
            index.ensure(int(np.max(s.expires_ms - s.created_ms)) // step + 1)
        self.start = index.at_or_after(s.created_ms)  # the first candle of each life
        self.end = index.at_or_after(s.expires_ms)  # the first candle at or after expiry
        self.is_long = s.sign > 0
        self._target_hits: dict[int, I64] = {}
        self._stop_hits: dict[int, I64] = {}

    def cell(self, t: int, s: int) -> CellOutcomes:
        """The outcomes with the target at distance `targets[t]` and the stop at `stops[s]`."""
        sig, candles = self.signals, self.index.candles
        target, stop = self.target_levels[:, t], self.stop_levels[:, s]
        placed = self.target_placed[:, t] & self.stop_placed[:, s]
        found = np.minimum(self.target_hits(t), self.stop_hits(s))
        rows = np.flatnonzero(placed & (found < self.end))
        exit_at, sign = found[rows], sig.sign[rows]
        candle = read_exit_candle(
            candles, exit_at, sign, sign * target[rows], sign * stop[rows], self.policy.same_candle
        )
        n = len(sig)
        kind = np.full(n, int(CloseKind.OPEN), dtype=np.int64)
        kind[rows] = np.where(candle.takes_target, int(CloseKind.TARGET), int(CloseKind.STOP))
        exit_index = np.full(n, -1, dtype=np.int64)
        exit_index[rows] = exit_at
        exit_ms = np.full(n, NO_TIME, dtype=np.int64)
        exit_ms[rows] = candles.open_time_ms[exit_at]
        price = np.full(n, np.nan)
        fill = np.where(candle.opens_beyond_stop, candle.open, stop[rows])
        price[rows] = np.where(candle.takes_target, target[rows], fill)
        ambiguous = np.zeros(n, dtype=bool)
        ambiguous[rows] = candle.is_ambiguous
        self._expire(placed & (kind == CloseKind.OPEN), kind, exit_ms, price)
        closed = np.flatnonzero(kind != CloseKind.OPEN)
        pnl, r = np.full(n, np.nan), np.full(n, np.nan)
        whole = np.ones(len(closed))  # one target: 100 % of the position exits at once
        pnl[closed], r[closed] = pnl_and_r(
            sig.sign[closed], sig.entry[closed], stop[closed], [(whole, price[closed])],
            self.policy.fee_bps_per_side, self.policy.leverage,
        )  # fmt: skip
        return CellOutcomes(
            is_placed=placed,
            close_kind=kind,
            exit_index=exit_index,
            exit_ms=exit_ms,
            exit_price=price,
            pnl_pct=pnl,
            r_multiple=r,
            is_ambiguous=ambiguous,
        )

    def _expire(self, open_: B, kind: I64, exit_ms: I64, price: F64) -> None:
        """Close at the last close of the life what is open when the data covers its end."""
        end_ms = self.index.candles.end_ms
        if end_ms is None:
            return
        rows = np.flatnonzero(open_ & (end_ms >= self.signals.expires_ms))
        last = self.end[rows] - 1
        read = last >= self.start[rows]  # at least one candle was read in the life
        kind[rows] = int(CloseKind.EXPIRY)
        exit_ms[rows] = self.signals.expires_ms[rows]
        price[rows[read]] = self.index.candles.close[last[read]]

    def target_hits(self, t: int) -> I64:
        """The first candle reaching each signal's target `t` (the life's end when none)."""
        if t not in self._target_hits:
            self._target_hits[t] = self._search(self.targets, self._target_hits, t, True)
        return self._target_hits[t]

    def stop_hits(self, s: int) -> I64:
        """The first candle reaching each signal's stop `s` (the life's end when none)."""
        if s not in self._stop_hits:
            self._stop_hits[s] = self._search(self.stops, self._stop_hits, s, False)
        return self._stop_hits[s]

    def _search(self, distances: F64, done: dict[int, I64], j: int, is_target: bool) -> I64:
        """First passages of level j, starting where the nearest level searched ended."""
        levels = self.target_levels if is_target else self.stop_levels
        level = levels[:, j]
        pos = self.start.copy()
        nearer = [i for i in done if distances[i] <= distances[j]]
        if nearer:  # no candle reaches a level before it reaches every nearer one
            i = max(nearer, key=lambda i: distances[i])
            # a farther level is a larger signed target, a smaller signed stop (per row, so
            # that a rounding or a nonsensical unit can never start a search too late)
            side = self.signals.sign if is_target else -self.signals.sign
            farther = side * levels[:, i] <= side * level
            pos = np.where(farther, done[i], pos)
        todo = pos < self.end
        high_side = self.is_long == is_target  # a LONG's target, a SHORT's stop: the highs
        for on_highs in (True, False):
            rows = np.flatnonzero(todo & (high_side == on_highs))
            for first in range(0, len(rows), CHUNK):
                at = rows[first : first + CHUNK]
                high, neg_low = (level[at], None) if on_highs else (None, -level[at])
                pos[at] = self.index.first_reach(pos[at], self.end[at], high, neg_low)
        return pos
