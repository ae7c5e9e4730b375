"""The grid engine settles every cell of a TP/SL grid exactly as `settle_many` settles that
cell alone (and as `settle_one` settles each signal): exit candle, price, result, PnL, R."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigtrack.core.batch_resolution import CandleIndex, settle_many
from sigtrack.core.batch_signals import OutcomeBatch, SignalBatch
from sigtrack.core.candles import MINUTE_MS, Candles, Timeframe
from sigtrack.core.errors import InvalidInput, InvalidSignal
from sigtrack.core.grid_resolution import CellOutcomes, GridSignals, SettlingGrid
from sigtrack.core.outcomes import CloseKind, datetime_to_ms, result_for
from sigtrack.core.policy import ResolutionPolicy, SameCandle
from sigtrack.core.resolution import settle_one
from sigtrack.core.signals import Side, Signal

START = datetime(2026, 1, 5, tzinfo=UTC)
START_MS = datetime_to_ms(START)
TICK = 0.5  # prices on a coarse grid, so that exact touches and ambiguous candles are common
TIMEFRAMES = (Timeframe("1m"), Timeframe("3m"), Timeframe("5m"))


@st.composite
def candle_series(draw: st.DrawFn) -> Candles:
    """Up to 60 one-minute candles with gaps (a step > 1) and jumps between them."""
    n = draw(st.integers(1, 60))
    price, minute, rows = 100.0, 0, []
    for _ in range(n):
        minute += draw(st.sampled_from([1, 1, 1, 1, 1, 2, 3]))
        open_ = max(price + TICK * draw(st.sampled_from([0, 0, 0, 1, -1, 6, -6])), 80.0)
        close = max(open_ + TICK * draw(st.integers(-5, 5)), 80.0)
        high = max(open_, close) + TICK * draw(st.integers(0, 6))
        low = max(min(open_, close) - TICK * draw(st.integers(0, 6)), 60.0)
        rows.append([START_MS + minute * MINUTE_MS, open_, high, low, close, 1.0])
        price = close
    return Candles.from_rows(rows)


@dataclass(frozen=True, slots=True)
class Case:
    signals: GridSignals
    timeframes: tuple[Timeframe, ...]
    targets: tuple[float, ...]
    stops: tuple[float, ...]


# distances in any order; the units below make some levels fall between ticks, some stops
# below zero (not placed) and some levels round onto the entry
DISTANCES = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 0.7, 6.0, 10.0, 250.0, 1e-17])


@st.composite
def cases(draw: st.DrawFn, policy: ResolutionPolicy) -> Case:
    n = draw(st.integers(1, 8))
    sign = np.array([draw(st.sampled_from([1.0, -1.0])) for _ in range(n)])
    entry = np.array([100.0 + TICK * draw(st.integers(-4, 4)) for _ in range(n)])
    unit = np.array([draw(st.sampled_from([TICK, 2 * TICK, 0.3, 1.25])) for _ in range(n)])
    # on a candle's open, just before or after it, or between candles
    offsets = st.sampled_from([0, 0, 1, -1, 1000, 30_000])
    created = [START_MS + draw(st.integers(-1, 50)) * MINUTE_MS + draw(offsets) for _ in range(n)]
    timeframes = tuple(draw(st.sampled_from(TIMEFRAMES)) for _ in range(n))
    life = [policy.life_ms(tf) for tf in timeframes]
    signals = GridSignals(
        sign=sign,
        entry=entry,
        unit=unit,
        created_ms=np.array(created, dtype=np.int64),
        expires_ms=np.array(created, dtype=np.int64) + np.array(life, dtype=np.int64),
    )
    targets = draw(st.lists(DISTANCES, min_size=1, max_size=4, unique=True))
    stops = draw(st.lists(DISTANCES, min_size=1, max_size=4, unique=True))
    return Case(signals, timeframes, tuple(targets), tuple(stops))


policies = st.builds(
    ResolutionPolicy,
    same_candle=st.sampled_from(list(SameCandle)),
    exit_plan=st.sampled_from([(1.0,), (0.5, 0.5)]),  # one target: 100 % at it either way
    expire_after_timeframes=st.integers(1, 20),
    fee_bps_per_side=st.sampled_from([0.0, 4.0, 10.0]),
    leverage=st.sampled_from([1.0, 3.0, 20.0]),
)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cells(case: Case) -> list[tuple[int, int]]:
    return [(t, s) for t in range(len(case.targets)) for s in range(len(case.stops))]


def _levels(case: Case, t: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    g = case.signals
    return g.entry + g.sign * case.targets[t] * g.unit, g.entry - g.sign * case.stops[s] * g.unit


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal to the last bit, NaN where the other is NaN."""
    return bool(np.array_equal(a, b, equal_nan=True))


@PROPERTY
@given(data=st.data(), candles=candle_series(), policy=policies)
def test_every_cell_of_the_grid_equals_settle_many_on_that_cell_alone(
    data: st.DataObject, candles: Candles, policy: ResolutionPolicy
) -> None:
    case = data.draw(cases(policy))
    g = case.signals
    index = CandleIndex(candles)
    grid = SettlingGrid(index, g, case.targets, case.stops, policy)
    for t, s in data.draw(st.permutations(_cells(case))):  # any order of the cells
        cell = grid.cell(t, s)
        target, stop = _levels(case, t, s)
        placed = cell.is_placed
        for i in np.flatnonzero(~placed):  # not placed: settle_many would refuse the levels
            assert stop[i] <= 0 or _refused(g, int(i), target, stop, policy)
        assert np.all(cell.close_kind[~placed] == CloseKind.OPEN)
        assert np.all(np.isnan(cell.pnl_pct[~placed]))
        rows = np.flatnonzero(placed)
        if not len(rows):
            continue
        batch = SignalBatch.from_arrays(
            is_long=g.sign[rows] > 0,
            entry=g.entry[rows],
            stop=stop[rows],
            targets=target[rows][:, None],
            created_ms=g.created_ms[rows],
            life_ms=(g.expires_ms - g.created_ms)[rows],
            policy=policy,
        )
        state = settle_many(batch, index, policy)
        _assert_cell_equals(cell, rows, state, candles)


def _assert_cell_equals(
    cell: CellOutcomes, rows: np.ndarray, state: OutcomeBatch, candles: Candles
) -> None:
    kind, exit_ms = state.close_kind, state.exit_ms[:, 0]
    assert cell.close_kind[rows].tolist() == kind.tolist()
    assert cell.exit_ms[rows].tolist() == exit_ms.tolist()
    hit = np.isin(kind, [CloseKind.TARGET, CloseKind.STOP])
    exit_index = cell.exit_index[rows]
    assert np.all(exit_index[~hit] == -1)
    assert candles.open_time_ms[exit_index[hit]].tolist() == exit_ms[hit].tolist()
    results = [
        result_for(CloseKind(int(k)), int(k == CloseKind.TARGET)) for k in cell.close_kind[rows]
    ]
    assert results == [outcome.result for outcome in state.outcomes()]
    assert _same(cell.exit_price[rows], state.exit_price[:, 0])
    assert _same(cell.pnl_pct[rows], state.pnl_pct)
    assert _same(cell.r_multiple[rows], state.r_multiple)
    assert cell.is_ambiguous[rows].tolist() == state.is_ambiguous.tolist()


def _refused(
    g: GridSignals, i: int, target: np.ndarray, stop: np.ndarray, policy: ResolutionPolicy
) -> bool:
    try:
        SignalBatch.from_arrays(
            is_long=[g.sign[i] > 0], entry=[g.entry[i]], stop=[stop[i]], targets=[[target[i]]],
            created_ms=[g.created_ms[i]], life_ms=[g.expires_ms[i] - g.created_ms[i]],
            policy=policy,
        )  # fmt: skip
    except InvalidInput:
        return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), candles=candle_series(), policy=policies)
def test_every_cell_of_the_grid_equals_the_scalar_reference_signal_by_signal(
    data: st.DataObject, candles: Candles, policy: ResolutionPolicy
) -> None:
    case = data.draw(cases(policy))
    g = case.signals
    grid = SettlingGrid(CandleIndex(candles), g, case.targets, case.stops, policy)
    for t, s in _cells(case):
        cell = grid.cell(t, s)
        target, stop = _levels(case, t, s)
        for i in np.flatnonzero(cell.is_placed):
            try:
                signal = Signal(
                    symbol="BTCUSDT",
                    side=Side.LONG if g.sign[i] > 0 else Side.SHORT,
                    timeframe=case.timeframes[i],
                    entry=float(g.entry[i]),
                    targets=(float(target[i]),),
                    stop=float(stop[i]),
                    created_at=START + timedelta(milliseconds=int(g.created_ms[i]) - START_MS),
                )
            except InvalidSignal:
                continue  # levels a Signal refuses (e.g. a target below zero)
            outcome = settle_one(signal, candles, policy)
            closed = outcome.closed_at_ms is not None
            assert CloseKind(int(cell.close_kind[i])) is outcome.progress.close_kind
            assert (int(cell.exit_ms[i]) if closed else None) == outcome.legs[0].exit_ms
            assert _same(np.array([cell.exit_price[i]]), np.array([outcome.legs[0].exit_price],
                                                                   dtype=float))  # fmt: skip
            assert _same(np.array([cell.pnl_pct[i], cell.r_multiple[i]]),
                         np.array([outcome.pnl_pct, outcome.r_multiple], dtype=float))  # fmt: skip
            assert bool(cell.is_ambiguous[i]) is outcome.is_ambiguous


def _one_candle(open_: float, high: float, low: float, close: float) -> Candles:
    return Candles.from_rows([[START_MS, open_, high, low, close, 1.0]])


@pytest.mark.parametrize(
    ("rule", "kind", "price"),
    [
        (SameCandle.SL_FIRST, CloseKind.STOP, 99.0),
        (SameCandle.TP_FIRST, CloseKind.TARGET, 102.0),
        (SameCandle.NEAREST_TO_OPEN, CloseKind.TARGET, 102.0),  # opened 1 from TP, 2 from SL
    ],
)
def test_a_candle_reaching_both_levels_follows_the_same_candle_rule(
    rule: SameCandle, kind: CloseKind, price: float
) -> None:
    grid = SettlingGrid(
        CandleIndex(_one_candle(101.0, 102.5, 98.5, 100.0)),
        GridSignals(
            sign=np.array([1.0]),
            entry=np.array([100.0]),
            unit=np.array([1.0]),
            created_ms=np.array([START_MS]),
            expires_ms=np.array([START_MS + 60 * MINUTE_MS]),
        ),
        targets=(2.0,),
        stops=(1.0,),
        policy=ResolutionPolicy(same_candle=rule),
    )
    cell = grid.cell(0, 0)
    assert CloseKind(int(cell.close_kind[0])) is kind and cell.exit_price[0] == price
    assert cell.is_ambiguous[0]
