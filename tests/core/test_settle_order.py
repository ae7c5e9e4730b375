"""The batch engine's outcomes do not depend on the order of its input (DESIGN §7): a
permutation of the signals, and of their saved progress, gives the same permutation of
every outcome column, to the last bit."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigtrack.core.batch_resolution import BIN_STEPS
from sigtrack.core.batch_signals import OutcomeBatch, SignalBatch
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.outcomes import Outcome
from sigtrack.core.policy import ResolutionPolicy, SameCandle
from sigtrack.core.resolution import CandleIndex, settle_many

START_MS = 1_767_571_200_000  # 2026-01-05 00:00 UTC
TICK = 0.5  # prices on a coarse grid, so that exact touches and ambiguous candles are common


# A gap longer than a bin of creation time: signals on both sides are settled in time
# order, not as given.
LONG_GAP = BIN_STEPS + 7
SPAN_MINUTES = 4 * LONG_GAP


@st.composite
def candle_series(draw: st.DrawFn) -> Candles:
    """Up to 50 one-minute candles with gaps (a step > 1), some long, and jumps."""
    price, minute, rows = 100.0, 0, []
    for _ in range(draw(st.integers(1, 50))):
        minute += draw(st.sampled_from([1, 1, 1, 1, 1, 2, 3, LONG_GAP]))
        open_ = max(price + TICK * draw(st.sampled_from([0, 0, 0, 1, -1, 6, -6])), 80.0)
        close = max(open_ + TICK * draw(st.integers(-5, 5)), 80.0)
        high = max(open_, close) + TICK * draw(st.integers(0, 6))
        low = max(min(open_, close) - TICK * draw(st.integers(0, 6)), 60.0)
        rows.append([START_MS + minute * MINUTE_MS, open_, high, low, close, 1.0])
        price = close
    return Candles.from_rows(rows)


@dataclass(frozen=True, slots=True, kw_only=True)
class Drawn:
    """One drawn signal, as the columns of `SignalBatch.from_arrays` take it."""

    is_long: bool
    entry: float
    stop: float
    targets: tuple[float, ...]
    created_ms: int
    life_ms: int
    horizon_ms: int


@st.composite
def drawn_signals(draw: st.DrawFn) -> Drawn:
    is_long = draw(st.booleans())
    sign = 1 if is_long else -1
    entry = 100.0 + TICK * draw(st.integers(-4, 4))
    distances = sorted(draw(st.lists(st.integers(1, 10), min_size=1, max_size=3, unique=True)))
    return Drawn(
        is_long=is_long,
        entry=entry,
        stop=entry - sign * TICK * draw(st.integers(1, 10)),
        targets=tuple(entry + sign * TICK * d for d in distances),
        created_ms=START_MS  # ties, same minutes, and times across the long gaps
        + 1000 * draw(st.one_of(st.integers(0, 40 * 60), st.integers(0, SPAN_MINUTES * 60))),
        life_ms=MINUTE_MS * draw(st.integers(1, 60)),
        horizon_ms=MINUTE_MS * draw(st.integers(1, 60)),
    )


policies = st.builds(
    ResolutionPolicy,
    same_candle=st.sampled_from(list(SameCandle)),
    exit_plan=st.sampled_from([(1.0,), (0.5, 0.5), (0.25, 0.25, 0.5)]),
    move_stop_to_entry=st.booleans(),
    fee_bps_per_side=st.sampled_from([0.0, 4.0]),
    leverage=st.sampled_from([1.0, 20.0]),
)


def _batch(rows: list[Drawn], policy: ResolutionPolicy) -> SignalBatch:
    targets = np.full((len(rows), 3), np.nan)
    for i, row in enumerate(rows):
        targets[i, : len(row.targets)] = row.targets
    return SignalBatch.from_arrays(
        is_long=[r.is_long for r in rows],
        entry=[r.entry for r in rows],
        stop=[r.stop for r in rows],
        targets=targets,
        created_ms=[r.created_ms for r in rows],
        life_ms=[r.life_ms for r in rows],
        horizon_ms=[r.horizon_ms for r in rows],
        policy=policy,
    )


def _columns(state: OutcomeBatch) -> dict[str, npt.NDArray[np.generic]]:
    return {
        f.name: getattr(state, f.name) for f in fields(state) if f.name not in ("signals", "rule")
    }


def _assert_permuted(
    got: OutcomeBatch, expected: OutcomeBatch, order: npt.NDArray[np.int64]
) -> None:
    """`got` is `expected` with its rows taken in `order`, bit for bit, column by column."""
    assert got.rule == expected.rule
    want = _columns(expected)
    for name, column in _columns(got).items():
        moved = np.take(want[name], order, axis=0)
        assert column.dtype == moved.dtype and column.shape == moved.shape, name
        assert column.tobytes() == moved.tobytes(), name


def _split(candles: Candles, at: int) -> tuple[Candles, Candles]:
    middle = int(candles.open_time_ms[0]) + at * MINUTE_MS
    return candles.between(0, middle), candles.between(
        middle, int(candles.open_time_ms[-1]) + MINUTE_MS
    )


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    candles=candle_series(),
    rows=st.lists(drawn_signals(), min_size=1, max_size=12),
    policy=policies,
    data=st.data(),
)
def test_a_permutation_of_the_signals_gives_the_same_permutation_of_every_outcome_column(
    candles: Candles,
    rows: list[Drawn],
    policy: ResolutionPolicy,
    data: st.DataObject,
) -> None:
    rows.sort(key=lambda row: row.created_ms)  # creation order: settled as given
    order = np.array(data.draw(st.permutations(range(len(rows)))), dtype=np.int64)
    expected = settle_many(_batch(rows, policy), candles, policy)
    got = settle_many(_batch([rows[i] for i in order], policy), candles, policy)
    _assert_permuted(got, expected, order)


@PROPERTY
@given(
    candles=candle_series(),
    rows=st.lists(drawn_signals(), min_size=1, max_size=12),
    policy=policies,
    at=st.integers(0, 60),
    as_outcomes=st.booleans(),
    data=st.data(),
)
def test_saved_progress_permuted_with_its_signals_resumes_to_the_permuted_outcomes(
    candles: Candles,
    rows: list[Drawn],
    policy: ResolutionPolicy,
    at: int,
    as_outcomes: bool,
    data: st.DataObject,
) -> None:
    rows.sort(key=lambda row: row.created_ms)
    order = np.array(data.draw(st.permutations(range(len(rows)))), dtype=np.int64)
    before, after = _split(candles, at)
    batch, shuffled = _batch(rows, policy), _batch([rows[i] for i in order], policy)
    first = settle_many(batch, before, policy)
    expected = settle_many(batch, after, policy, since=first)
    if as_outcomes:  # progress as stored (one Outcome per signal), in the shuffled order
        since: OutcomeBatch | list[Outcome | None] = [first.outcome(int(i)) for i in order]
    else:
        since = settle_many(shuffled, before, policy)
    kept = (
        {name: column.copy() for name, column in _columns(since).items()}
        if isinstance(since, OutcomeBatch)
        else {}
    )
    got = settle_many(shuffled, after, policy, since=since)
    _assert_permuted(got, expected, order)
    for name, column in kept.items():  # the saved progress is read, never written
        assert getattr(since, name).tobytes() == column.tobytes(), name


def test_shuffling_a_batch_of_many_bins_and_chunks_shuffles_its_outcomes() -> None:
    rng = np.random.default_rng(9)
    n_candles, n = 30_000, 150_000  # over ten bins of creation time, over two chunks
    moves = np.round(rng.normal(0, 0.4, n_candles) / TICK) * TICK
    close = 1000.0 + np.cumsum(moves)
    open_ = np.concatenate([[1000.0], close[:-1]])
    high = np.maximum(open_, close) + TICK * rng.integers(0, 3, n_candles)
    low = np.minimum(open_, close) - TICK * rng.integers(0, 3, n_candles)
    times = START_MS + MINUTE_MS * np.arange(n_candles)
    times[10_000:] += 7 * MINUTE_MS  # a gap
    candles = Candles(
        open_time_ms=times,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=np.ones(n_candles),
        step_ms=MINUTE_MS,
    )
    created = np.sort(times[0] + rng.integers(0, (n_candles - 100) * MINUTE_MS, n))
    is_long = rng.random(n) < 0.5
    sign = np.where(is_long, 1.0, -1.0)
    entry = open_[np.searchsorted(times, created)]
    stop = entry - sign * TICK * rng.integers(2, 20, n)
    tp1 = entry + sign * TICK * rng.integers(2, 20, n)
    targets = np.stack([tp1, tp1 + sign * TICK * rng.integers(1, 20, n)], axis=1)
    life = MINUTE_MS * rng.integers(10, 300, n)
    policy = ResolutionPolicy()

    def batch(rows: npt.NDArray[np.int64]) -> SignalBatch:
        return SignalBatch.from_arrays(
            is_long=is_long[rows],
            entry=entry[rows],
            stop=stop[rows],
            targets=targets[rows],
            created_ms=created[rows],
            life_ms=life[rows],
            policy=policy,
        )

    index = CandleIndex(candles)
    expected = settle_many(batch(np.arange(n)), index, policy)
    order = rng.permutation(n)
    _assert_permuted(settle_many(batch(order), index, policy), expected, order)
    assert np.any(expected.is_closed) and not np.all(expected.is_closed)
