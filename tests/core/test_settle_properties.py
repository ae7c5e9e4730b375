"""The batch engine agrees with the scalar reference on every field, and incremental
passes agree with settling from scratch (DESIGN §7: same inputs, same outcome)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sigtrack.core.batch_signals import SignalBatch
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import InvalidInput
from sigtrack.core.outcomes import datetime_to_ms
from sigtrack.core.policy import ResolutionPolicy, SameCandle
from sigtrack.core.resolution import CandleIndex, settle_many, settle_one
from sigtrack.core.signals import Result, Side, Signal

START = datetime(2026, 1, 5, tzinfo=UTC)
START_MS = datetime_to_ms(START)
TICK = 0.5  # prices on a coarse grid, so that exact touches and ambiguous candles are common


@st.composite
def candle_series(draw: st.DrawFn) -> Candles:
    n = draw(st.integers(1, 50))
    price = 100.0
    rows = []
    minute = 0
    for _ in range(n):
        minute += draw(st.sampled_from([1, 1, 1, 1, 1, 2, 3]))  # a step > 1 is a gap
        open_ = price + TICK * draw(st.sampled_from([0, 0, 0, 1, -1, 6, -6]))  # jumps
        close = open_ + TICK * draw(st.integers(-5, 5))
        open_, close = max(open_, 80.0), max(close, 80.0)
        high = max(open_, close) + TICK * draw(st.integers(0, 6))
        low = min(open_, close) - TICK * draw(st.integers(0, 6))
        rows.append([START_MS + minute * MINUTE_MS, open_, high, max(low, 60.0), close, 1.0])
        price = close
    return Candles.from_rows(rows)


@st.composite
def signals(draw: st.DrawFn) -> Signal:
    side = draw(st.sampled_from([Side.LONG, Side.SHORT]))
    sign = 1 if side is Side.LONG else -1
    entry = 100.0 + TICK * draw(st.integers(-4, 4))
    distances = sorted(draw(st.lists(st.integers(1, 10), min_size=1, max_size=3, unique=True)))
    targets = tuple(entry + sign * TICK * d for d in distances)
    stop = entry - sign * TICK * draw(st.integers(1, 10))
    created = START + timedelta(seconds=draw(st.integers(0, 40 * 60)))
    return Signal(
        symbol="BTCUSDT",
        side=side,
        timeframe=draw(st.sampled_from(["1m", "3m", "5m"])),
        entry=entry,
        targets=targets,
        stop=stop,
        created_at=created,
    )


policies = st.builds(
    ResolutionPolicy,
    same_candle=st.sampled_from(list(SameCandle)),
    exit_plan=st.sampled_from([(1.0,), (0.5, 0.5), (0.3, 0.7), (0.25, 0.25, 0.5)]),
    move_stop_to_entry=st.booleans(),
    expire_after_timeframes=st.integers(1, 12),
    horizon_minutes=st.one_of(st.none(), st.integers(1, 60)),
    fee_bps_per_side=st.sampled_from([0.0, 4.0, 10.0]),
    leverage=st.sampled_from([1.0, 3.0, 20.0]),
)

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(candles=candle_series(), group=st.lists(signals(), min_size=1, max_size=6), policy=policies)
def test_the_batch_engine_agrees_with_the_scalar_engine_on_every_field(
    candles: Candles, group: list[Signal], policy: ResolutionPolicy
) -> None:
    batch = settle_many(group, candles, policy).outcomes()
    for signal, outcome in zip(group, batch, strict=True):
        assert outcome == settle_one(signal, candles, policy)


def _split(candles: Candles, at: int) -> tuple[Candles, Candles]:
    middle = int(candles.open_time_ms[0]) + at * MINUTE_MS
    end = int(candles.open_time_ms[-1]) + MINUTE_MS
    return candles.between(0, middle), candles.between(middle, end)


@PROPERTY
@given(
    candles=candle_series(),
    group=st.lists(signals(), min_size=1, max_size=4),
    policy=policies,
    at=st.integers(0, 60),
)
def test_a_pass_over_only_the_new_candles_equals_settling_from_scratch(
    candles: Candles, group: list[Signal], policy: ResolutionPolicy, at: int
) -> None:
    before, after = _split(candles, at)
    scratch = [settle_one(signal, candles, policy) for signal in group]
    for signal, expected in zip(group, scratch, strict=True):
        first = settle_one(signal, before, policy)
        assert settle_one(signal, after, policy, since=first) == expected
    first_batch = settle_many(group, before, policy)
    assert settle_many(group, after, policy, since=first_batch).outcomes() == scratch
    # and resuming from stored (JSON) outcomes gives the same again
    stored = [type(o).from_json(o.to_json()) for o in first_batch.outcomes()]
    assert settle_many(group, after, policy, since=stored).outcomes() == scratch


@PROPERTY
@given(candles=candle_series(), signal=signals(), policy=policies)
def test_a_long_whose_lows_never_reach_the_stop_is_never_a_loss(
    candles: Candles, signal: Signal, policy: ResolutionPolicy
) -> None:
    sign = 1 if signal.side is Side.LONG else -1
    worst = candles.low if sign > 0 else candles.high
    counted = candles.open_time_ms >= datetime_to_ms(signal.created_at)
    assume(not np.any(sign * worst[counted] <= sign * signal.stop))
    assert settle_one(signal, candles, policy).result is not Result.LOSS


@PROPERTY
@given(candles=candle_series(), group=st.lists(signals(), min_size=1, max_size=6), policy=policies)
def test_signals_given_as_arrays_settle_like_signal_objects(
    candles: Candles, group: list[Signal], policy: ResolutionPolicy
) -> None:
    width = max(len(s.targets) for s in group)
    targets = np.full((len(group), width), np.nan)
    for i, s in enumerate(group):
        targets[i, : len(s.targets)] = s.targets
    batch = SignalBatch.from_arrays(
        is_long=[s.side is Side.LONG for s in group],
        entry=[s.entry for s in group],
        stop=[s.stop for s in group],
        targets=targets,
        created_ms=[datetime_to_ms(s.created_at) for s in group],
        life_ms=[policy.life_ms(s.timeframe) for s in group],
        horizon_ms=[policy.horizon_ms(s.timeframe) for s in group],
        policy=policy,
    )
    assert (
        settle_many(batch, candles, policy).outcomes()
        == settle_many(group, candles, policy).outcomes()
    )


def test_arrays_with_levels_on_the_wrong_side_are_refused_naming_the_row() -> None:
    with pytest.raises(InvalidInput, match=r"row 1: levels must be .* entry=100.0 stop=101.0"):
        SignalBatch.from_arrays(
            is_long=[True, True],
            entry=[100.0, 100.0],
            stop=[99.0, 101.0],
            targets=[[102.0], [102.0]],
            created_ms=[START_MS, START_MS],
            life_ms=60 * MINUTE_MS,
            policy=ResolutionPolicy(),
        )


@PROPERTY
@given(candles=candle_series(), offsets=st.lists(st.integers(-5 * MINUTE_MS, 80 * MINUTE_MS)))
def test_the_slot_table_finds_what_a_binary_search_finds(
    candles: Candles, offsets: list[int]
) -> None:
    times = np.array([START_MS + o for o in offsets], dtype=np.int64)
    expected = np.searchsorted(candles.open_time_ms, times, side="left")
    assert CandleIndex(candles).at_or_after(times).tolist() == expected.tolist()
