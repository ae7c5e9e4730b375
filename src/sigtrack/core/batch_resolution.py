"""The batch settling engine: a first-passage search over sparse tables of range extremes.

For every signal the engine asks "at which candle does the price first reach the
target or the stop?" A sparse table holds, for every candle i and every k, the highest
high and the highest −low of the 2^k candles from i; descending k from the largest
power, a signal jumps over every block that reaches neither level. That is O(log n)
numpy steps for all signals at once, whatever their holding time, and the outcome of
the candle found is then decided by the same rules as `settle_one`, with the same
arithmetic (sigtrack.core.outcomes), so the two engines agree to the last bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from sigtrack.core.batch_signals import OutcomeBatch, SignalBatch
from sigtrack.core.candles import Candles
from sigtrack.core.outcomes import CloseKind, Outcome
from sigtrack.core.policy import DEFAULT_POLICY, ResolutionPolicy, SameCandle
from sigtrack.core.signals import Signal

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

CHUNK = 1 << 16  # signals per pass: keeps the temporaries in the CPU cache


class CandleIndex:
    """Candles with sparse tables of range maxima, built once and reused across calls.

    `table[0, k, i]` is the highest high and `table[1, k, i]` the highest −low of the
    candles i … i + 2^k − 1 (or to the end of the data).
    """

    def __init__(self, candles: Candles) -> None:
        self.candles = candles
        self.n = len(candles)
        self.levels = 0
        self._table: F64 = np.empty((2, 0, self.n))
        self.flat: F64 = self._table.reshape(-1)

    def ensure(self, span: int) -> None:
        """Make sure ranges of up to `span` candles can be searched."""
        levels = max(1, min(span, max(self.n, 1)).bit_length())
        if levels <= self.levels:
            return
        table = np.empty((2, levels, self.n))
        table[0, 0] = self.candles.high
        np.negative(self.candles.low, out=table[1, 0])
        for k in range(1, levels):
            half = 1 << (k - 1)
            np.maximum(table[:, k - 1, :-half], table[:, k - 1, half:], out=table[:, k, :-half])
            table[:, k, -half:] = table[:, k - 1, -half:]
        self._table, self.levels = table, levels
        self.flat = table.reshape(-1)

    def range_max(self, which: I64, first: I64, last: I64) -> F64:
        """Max over candles first … last (inclusive, first <= last) of table `which`."""
        length = last - first + 1
        k = np.floor(np.log2(length)).astype(np.int64)
        k = np.where((1 << (k + 1)) <= length, k + 1, k)  # log2 rounding at powers of two
        k = np.where((1 << k) > length, k - 1, k)
        base = (which * self.levels + k) * self.n
        best: F64 = np.maximum(self.flat[base + first], self.flat[base + last - (1 << k) + 1])
        return best


def settle_many(
    signals: SignalBatch | Sequence[Signal],
    candles: Candles | CandleIndex,
    policy: ResolutionPolicy = DEFAULT_POLICY,
    *,
    since: OutcomeBatch | Sequence[Outcome | None] | None = None,
) -> OutcomeBatch:
    """Settle many signals of one symbol against its candles (see `settle_one`)."""
    index = candles if isinstance(candles, CandleIndex) else CandleIndex(candles)
    batch = (
        signals if isinstance(signals, SignalBatch) else SignalBatch.from_signals(signals, policy)
    )
    if since is None:
        state = OutcomeBatch.start(batch, index.candles, policy)
    elif isinstance(since, OutcomeBatch):
        state = since.copy()
    else:
        state = OutcomeBatch.from_outcomes(since, batch, policy, index.candles)
    if len(batch) and index.n:
        step = index.candles.step_ms
        longest = max(
            int(np.max(batch.expires_ms - batch.created_ms)),
            int(np.max(batch.horizon_end_ms - batch.created_ms)),
        )
        index.ensure(longest // step + 1)
        for first in range(0, len(batch), CHUNK):
            rows = slice(first, first + CHUNK)
            _settle_chunk(index, batch.take(rows), state.view(rows), policy)
    state.finish(batch, policy, index.candles.end_ms)
    return state


def _settle_chunk(
    index: CandleIndex, batch: SignalBatch, state: OutcomeBatch, policy: ResolutionPolicy
) -> None:
    times = index.candles.open_time_ms
    start = np.searchsorted(times, state.next_ms).astype(np.int64)
    end = np.searchsorted(times, batch.expires_ms).astype(np.int64)
    walk = _Walk(index, batch, state, policy, start, end)
    for k in range(batch.targets.shape[1]):
        walk.run_leg(k)
    walk.finish_life()
    _read_horizon(index, batch, state)


class _Walk:
    """One pass of the life of a chunk of signals, leg by leg of the exit plan."""

    def __init__(
        self,
        index: CandleIndex,
        batch: SignalBatch,
        state: OutcomeBatch,
        policy: ResolutionPolicy,
        start: I64,
        end: I64,
    ) -> None:
        self.index, self.batch, self.state, self.policy = index, batch, state, policy
        self.start0 = start  # first candle of the life read in this pass
        self.end = end  # first candle at or after expiry (exclusive end of the life)
        self.was_open = state.close_kind == CloseKind.OPEN
        self.pos = start.copy()  # where the search for the next level starts
        self.last = np.full(len(start), -1, dtype=np.int64)  # the exit candle, once closed
        self.fav_which = np.where(batch.sign > 0, 0, 1).astype(np.int64)

    def run_leg(self, k: int) -> None:
        st, b = self.state, self.batch
        rows = np.flatnonzero(
            (st.close_kind == CloseKind.OPEN) & (st.legs_done == k) & (self.pos < self.end)
        )
        if not len(rows):
            return
        sign = b.sign[rows]
        target, stop = sign * b.targets[rows, k], sign * st.stop[rows]
        found = self._first_reach(rows, target, -stop)
        hit = found < self.end[rows]
        self.pos[rows[~hit]] = self.end[rows[~hit]]
        rows, found, sign, target, stop = rows[hit], found[hit], sign[hit], target[hit], stop[hit]
        candles = self.index.candles
        open_ = candles.open[found]
        long = sign > 0
        hi_s = np.where(long, candles.high[found], -candles.low[found])
        lo_s = np.where(long, candles.low[found], -candles.high[found])
        o_s = sign * open_
        stop_open = o_s <= stop  # opened beyond the stop: fills at the open
        target_open = ~stop_open & (o_s >= target)  # opened beyond the target: reached first
        reaches_target, reaches_stop = hi_s >= target, lo_s <= stop
        both = ~stop_open & ~target_open & reaches_target & reaches_stop
        takes_target = (
            target_open
            | (~stop_open & reaches_target & ~reaches_stop)
            | (both & _target_first(self.policy.same_candle, o_s, target, stop))
        )
        st.is_ambiguous[rows] |= both
        times = candles.open_time_ms[found]
        fill = np.where(stop_open, open_, st.stop[rows])
        out = ~takes_target
        self._close(rows[out], CloseKind.STOP, times[out], fill[out], found[out])
        self._hit_targets(
            k, rows[takes_target], times[takes_target], found[takes_target], hi_s[takes_target]
        )

    def _first_reach(self, rows: I64, fav_level: F64, adv_level: F64) -> I64:
        """First candle in [pos, end) whose signed high ≥ fav_level or −signed low ≥ adv_level."""
        index = self.index
        pos, end = self.pos[rows].copy(), self.end[rows]
        longest = int(np.max(end - pos))
        fav_base = self.fav_which[rows] * (index.levels * index.n)
        adv_base = (1 - self.fav_which[rows]) * (index.levels * index.n)
        flat = index.flat
        for k in range(min(longest.bit_length(), index.levels) - 1, -1, -1):
            span = 1 << k
            fits = pos + span <= end
            at = np.where(fits, pos, 0) + k * index.n
            skip = fits & (flat[fav_base + at] < fav_level) & (flat[adv_base + at] < adv_level)
            pos += skip * span
        return pos

    def _hit_targets(self, k: int, rows: I64, times: I64, found: I64, hi_s: F64) -> None:
        """Target k is reached in these candles; so are the next ones their highs reach."""
        st, b = self.state, self.batch
        done = np.full(len(rows), k, dtype=np.int64)
        going = np.ones(len(rows), dtype=bool)
        for j in range(k, b.targets.shape[1]):
            if j > k:
                going &= (j < b.n_legs[rows]) & (hi_s >= b.sign[rows] * b.targets[rows, j])
            if not going.any():
                break
            hits = rows[going]
            st.hit_ms[hits, j] = st.exit_ms[hits, j] = times[going]
            st.exit_price[hits, j] = b.targets[hits, j]
            done[going] = j + 1
        st.legs_done[rows] = done
        full = done == b.n_legs[rows]
        st.close_kind[rows[full]] = CloseKind.TARGET
        self.last[rows[full]] = found[full]
        rest = rows[~full]
        if self.policy.move_stop_to_entry:
            st.stop[rest] = b.entry[rest]
        self.pos[rest] = found[~full] + 1

    def _close(
        self, rows: I64, kind: CloseKind, times: I64, prices: F64, found: I64 | None
    ) -> None:
        """Close what is left of the plan at `prices` and `times`."""
        st = self.state
        legs = np.arange(st.exit_ms.shape[1])[None, :]
        left = (legs >= st.legs_done[rows][:, None]) & (legs < self.batch.n_legs[rows][:, None])
        st.exit_ms[rows] = np.where(left, times[:, None], st.exit_ms[rows])
        st.exit_price[rows] = np.where(left, prices[:, None], st.exit_price[rows])
        st.close_kind[rows] = kind
        if found is not None:
            self.last[rows] = found

    def finish_life(self) -> None:
        """Gaps, extremes and last close over what was read; then expiries."""
        st, candles, index = self.state, self.index.candles, self.index
        step = candles.step_ms
        closed_now = self.was_open & (self.last >= 0)
        read_last = np.where(closed_now, self.last, self.end - 1)
        rows = np.flatnonzero(self.was_open & (read_last >= self.start0))
        first, last = self.start0[rows], read_last[rows]
        after = candles.open_time_ms[last] + step
        st.gaps[rows] += (after - st.next_ms[rows]) // step - (last - first + 1)
        st.next_ms[rows] = after
        fav = index.range_max(self.fav_which[rows], first, last)
        adv = index.range_max(1 - self.fav_which[rows], first, last)
        st.fav_max[rows] = np.fmax(st.fav_max[rows], fav)
        st.adv_max[rows] = np.fmax(st.adv_max[rows], adv)
        st.last_close[rows] = candles.close[last]
        end_ms = candles.end_ms
        if end_ms is None:
            return
        expiring = np.flatnonzero(
            self.was_open & (st.close_kind == CloseKind.OPEN) & (end_ms >= self.batch.expires_ms)
        )
        expires = self.batch.expires_ms[expiring]
        slots = np.maximum(0, -(-(expires - st.next_ms[expiring]) // step))
        st.gaps[expiring] += slots
        st.next_ms[expiring] += slots * step
        self._close(expiring, CloseKind.EXPIRY, expires, st.last_close[expiring], None)


def _target_first(rule: SameCandle, o_s: F64, target: F64, stop: F64) -> B | bool:
    if rule is SameCandle.TP_FIRST:
        return True
    if rule is SameCandle.NEAREST_TO_OPEN:
        nearer: B = target - o_s < o_s - stop
        return nearer
    return False


def _read_horizon(index: CandleIndex, batch: SignalBatch, state: OutcomeBatch) -> None:
    """Best and worst excursion over the fixed horizon, whatever the exit."""
    candles = index.candles
    times = candles.open_time_ms
    rows = np.flatnonzero(~state.horizon_complete)
    first = np.searchsorted(times, state.horizon_next_ms[rows]).astype(np.int64)
    stop = np.searchsorted(times, batch.horizon_end_ms[rows]).astype(np.int64)
    read = stop > first
    which = np.where(batch.sign[rows] > 0, 0, 1).astype(np.int64)
    hit_rows, first, last, which = rows[read], first[read], stop[read] - 1, which[read]
    fav = index.range_max(which, first, last)
    adv = index.range_max(1 - which, first, last)
    state.horizon_fav_max[hit_rows] = np.fmax(state.horizon_fav_max[hit_rows], fav)
    state.horizon_adv_max[hit_rows] = np.fmax(state.horizon_adv_max[hit_rows], adv)
    state.horizon_next_ms[hit_rows] = times[last] + candles.step_ms
    end_ms = candles.end_ms
    if end_ms is not None:
        state.horizon_complete[rows] = end_ms >= batch.horizon_end_ms[rows]
