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
from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt

from sigtrack.core.batch_order import (
    BIN_STEPS,  # noqa: F401  (the bin width; tests read it from here)
    COLUMNS,
    moved,
    put_back,
    signals_moved,
    time_order,
)
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

    `pairs[k * n + i]` holds (highest high, highest −low) of the candles i … i + 2^k − 1
    (or to the end of the data): the two numbers a search compares sit side by side, so
    one gather fetches both.
    """

    def __init__(self, candles: Candles) -> None:
        self.candles = candles
        self.n = len(candles)
        self.levels = 0
        self.pairs: F64 = np.empty((0, 2))
        self.flat: F64 = self.pairs.reshape(-1)
        self._log2: npt.NDArray[np.int8] = np.zeros(2, dtype=np.int8)
        self._slots: I64 | None = None

    def at_or_after(self, times_ms: I64) -> I64:
        """Index of the first candle opening at or after each time (n when none).

        The same as `searchsorted` on the open times, by a lookup in a table of the grid's
        slots (a year of minutes is 4 MB) instead of a binary search per value.
        """
        times = self.candles.open_time_ms
        if self.n == 0:
            return np.zeros(len(times_ms), dtype=np.int64)
        step, first = self.candles.step_ms, int(times[0])
        if self._slots is None:
            slots = np.full((int(times[-1]) - first) // step + 1, -1, dtype=np.int64)
            slots[(times - first) // step] = np.arange(self.n)
            # a slot without a candle takes the next candle's index
            self._slots = np.minimum.accumulate(np.where(slots < 0, self.n, slots)[::-1])[
                ::-1
            ].copy()
        slot = -(-(times_ms - first) // step)  # the first slot at or after the time
        inside = np.clip(slot, 0, len(self._slots) - 1)
        found: I64 = np.where(slot >= len(self._slots), self.n, self._slots[inside])
        return found

    def ensure(self, span: int) -> None:
        """Make sure ranges of up to `span` candles can be searched."""
        span = min(span, max(self.n, 1))
        levels = max(1, span.bit_length())
        if levels <= self.levels:
            return
        table = np.empty((levels, self.n, 2))
        table[0, :, 0] = self.candles.high
        np.negative(self.candles.low, out=table[0, :, 1])
        for k in range(1, levels):
            half = 1 << (k - 1)
            np.maximum(table[k - 1, :-half], table[k - 1, half:], out=table[k, :-half])
            table[k, -half:] = table[k - 1, -half:]
        self.pairs, self.levels = table.reshape(levels * self.n, 2), levels
        self.flat = self.pairs.reshape(-1)
        lengths = np.arange(1 << levels, dtype=np.int64)
        self._log2 = np.zeros(len(lengths), dtype=np.int8)
        self._log2[1:] = np.floor(np.log2(lengths[1:])).astype(np.int8)  # exact below 2^53

    def first_reach(
        self, pos: I64, end: I64, high_level: F64 | None, neg_low_level: F64 | None
    ) -> I64:
        """First candle in [pos, end) whose high ≥ high_level or whose −low ≥ neg_low_level
        (end when none). A side given as None is not searched. Ranges must fit `ensure`.

        Descending k from the largest power, each search jumps over every block of 2^k
        candles that fits before its end and reaches neither level.
        """
        pos = pos.copy()
        if not len(pos):
            return pos
        pairs, n = self.pairs, self.n
        longest = int(np.max(end - pos))
        both = None
        if high_level is not None and neg_low_level is not None:
            both = np.stack([high_level, neg_low_level], axis=1)  # beside the table's pairs
        for k in range(min(longest.bit_length(), self.levels) - 1, -1, -1):
            span = 1 << k
            skip = pos <= end - span
            # one gather of both maxima of the block at pos (pos ≤ n: a block that does not
            # fit, whatever it reads, is not skipped; "clip" keeps pos = n in the table)
            block = pairs.take(pos + k * n, axis=0, mode="clip")
            if both is not None:
                # a pair of bools viewed as 16 bits: 0x0101 when both maxima are below
                skip &= (block < both).view(np.uint16)[:, 0] == 0x0101
            elif high_level is not None:
                skip &= block[:, 0] < high_level
            elif neg_low_level is not None:
                skip &= block[:, 1] < neg_low_level
            pos += skip * span
        return pos

    def range_max(self, first: I64, last: I64) -> tuple[F64, F64]:
        """(highest high, highest −low) over candles first … last (inclusive)."""
        k = self._log2[last - first + 1].astype(np.int64)
        row = k * self.n
        # the two blocks of 2^k that cover the range, both maxima of each in one gather
        both = np.maximum(
            self.pairs.take(row + first, axis=0), self.pairs.take(row + last - (1 << k) + 1, axis=0)
        )
        high: F64 = both[:, 0]
        neg_low: F64 = both[:, 1]
        return high, neg_low


def settle_many(
    signals: SignalBatch | Sequence[Signal],
    candles: Candles | CandleIndex,
    policy: ResolutionPolicy = DEFAULT_POLICY,
    *,
    since: OutcomeBatch | Sequence[Outcome | None] | None = None,
) -> OutcomeBatch:
    """Settle many signals of one symbol against its candles (see `settle_one`).

    The signals may come in any order: they are settled in creation order (neighbours in
    time read the same part of the tables) and the outcomes come back in the order given,
    the same to the last bit whatever that order.
    """
    index = candles if isinstance(candles, CandleIndex) else CandleIndex(candles)
    batch = (
        signals if isinstance(signals, SignalBatch) else SignalBatch.from_signals(signals, policy)
    )
    if since is None or isinstance(since, OutcomeBatch):
        resume = since
    else:
        resume = OutcomeBatch.from_outcomes(since, batch, policy, index.candles)
    order = time_order(batch.created_ms, index.candles.step_ms) if index.n else None
    if order is None:
        state = resume.copy() if resume else OutcomeBatch.start(batch, index.candles, policy)
        _settle(index, batch, state, policy)
    else:
        state = _settle_in_time_order(index, batch, resume, policy, order)
    state.finish(batch, policy, index.candles.end_ms)
    return state


def _settle(
    index: CandleIndex, batch: SignalBatch, state: OutcomeBatch, policy: ResolutionPolicy
) -> None:
    if not (len(batch) and index.n):
        return
    step = index.candles.step_ms
    longest = max(
        int(np.max(batch.expires_ms - batch.created_ms)),
        int(np.max(batch.horizon_end_ms - batch.created_ms)),
    )
    index.ensure(longest // step + 1)
    for first in range(0, len(batch), CHUNK):
        rows = slice(first, first + CHUNK)
        _settle_chunk(index, batch.take(rows), state.view(rows), policy)


def _settle_in_time_order(
    index: CandleIndex,
    batch: SignalBatch,
    resume: OutcomeBatch | None,
    policy: ResolutionPolicy,
    order: I64,
) -> OutcomeBatch:
    """Settle the rows of `batch` in `order`; their progress comes back in the order of
    `batch` (what `finish` derives from it is left to `finish`)."""
    to = np.empty_like(order)  # where each row goes
    to[order] = np.arange(len(order))
    ordered = signals_moved(batch, to)
    if resume is None:
        state = OutcomeBatch.start(ordered, index.candles, policy)
    else:
        state = replace(resume, signals=ordered, **moved(resume, COLUMNS, to))
    _settle(index, ordered, state, policy)
    back = put_back(state, to, [getattr(ordered, f.name) for f in fields(SignalBatch)])
    return replace(state, signals=batch, **back)


def _settle_chunk(
    index: CandleIndex, batch: SignalBatch, state: OutcomeBatch, policy: ResolutionPolicy
) -> None:
    start = index.at_or_after(state.next_ms)
    end = index.at_or_after(batch.expires_ms)
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
        candle = read_exit_candle(
            self.index.candles, found, sign, target, stop, self.policy.same_candle
        )
        st.is_ambiguous[rows] |= candle.is_ambiguous
        times = self.index.candles.open_time_ms[found]
        fill = np.where(candle.opens_beyond_stop, candle.open, st.stop[rows])
        up, out = candle.takes_target, ~candle.takes_target
        self._close(rows[out], CloseKind.STOP, times[out], fill[out], found[out])
        self._hit_targets(k, rows[up], times[up], found[up], candle.signed_high[up])

    def _first_reach(self, rows: I64, fav_level: F64, adv_level: F64) -> I64:
        """First candle in [pos, end) whose signed high ≥ fav_level or −signed low ≥ adv_level."""
        long = self.batch.sign[rows] > 0
        # a LONG compares the highest high with its target and the highest −low with its
        # stop; a SHORT the other way round
        level_high = np.where(long, fav_level, adv_level)
        level_neg_low = np.where(long, adv_level, fav_level)
        return self.index.first_reach(self.pos[rows], self.end[rows], level_high, level_neg_low)

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
        done, n_legs = st.legs_done[rows], self.batch.n_legs[rows]
        for leg in range(st.exit_ms.shape[1]):  # the legs not reached yet close here
            left = (done <= leg) & (leg < n_legs)
            closing = rows[left]
            st.exit_ms[closing, leg] = times[left]
            st.exit_price[closing, leg] = prices[left]
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
        high, neg_low = index.range_max(first, last)
        long = self.batch.sign[rows] > 0
        fav, adv = np.where(long, high, neg_low), np.where(long, neg_low, high)
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


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitCandle:
    """How the candle that first reached a leg's target or its stop settles the leg."""

    takes_target: B  # else the stop
    is_ambiguous: B  # it opened between the levels and reached both
    opens_beyond_stop: B  # the stop then fills at the open, not at its level
    open: F64
    signed_high: F64  # sign × high for a LONG, −low for a SHORT: the next targets it reaches


def read_exit_candle(
    candles: Candles, found: I64, sign: F64, target: F64, stop: F64, rule: SameCandle
) -> ExitCandle:
    """Decide the candles `found` (each reaching the signed `target` or `stop`, or both)."""
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
        | (both & _target_first(rule, o_s, target, stop))
    )
    return ExitCandle(
        takes_target=takes_target,
        is_ambiguous=both,
        opens_beyond_stop=stop_open,
        open=open_,
        signed_high=hi_s,
    )


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
    first = index.at_or_after(state.horizon_next_ms[rows])
    stop = index.at_or_after(batch.horizon_end_ms[rows])
    read = stop > first
    hit_rows, first, last = rows[read], first[read], stop[read] - 1
    high, neg_low = index.range_max(first, last)
    long = batch.sign[hit_rows] > 0
    fav, adv = np.where(long, high, neg_low), np.where(long, neg_low, high)
    state.horizon_fav_max[hit_rows] = np.fmax(state.horizon_fav_max[hit_rows], fav)
    state.horizon_adv_max[hit_rows] = np.fmax(state.horizon_adv_max[hit_rows], adv)
    state.horizon_next_ms[hit_rows] = times[last] + candles.step_ms
    end_ms = candles.end_ms
    if end_ms is not None:
        state.horizon_complete[rows] = end_ms >= batch.horizon_end_ms[rows]
