"""Advice names its evidence and refuses to advise on too little data."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counting import advice_counts, assert_same_advice
from sigtrack.core.advice import (
    SEED,
    Advice,
    AdviceKind,
    Metric,
    advise,
    advise_counts,
    mean_interval,
    sampled_groups,
)
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.performance import RESULT_CODES, SignalFrame, columns_from_rows
from sigtrack.core.texts import Lang, render_advice_item


def frame(rows: list[dict[str, object]]) -> SignalFrame:
    return SignalFrame(
        outcomes=columns_from_rows(rows),
        symbol=np.array([r.get("symbol", "BTCUSDT") for r in rows], dtype=np.str_),
        timeframe=np.array([r.get("timeframe", "15m") for r in rows], dtype=np.str_),
        side=np.array(["LONG"] * len(rows), dtype=np.str_),
        strategy=np.array(["default"] * len(rows), dtype=np.str_),
        confidence=np.array([r.get("confidence", np.nan) for r in rows], dtype=np.float64),
        tags=tuple(tuple(r.get("tags", ())) for r in rows),  # type: ignore[arg-type]
        entry=np.full(len(rows), 100.0),
        stop=np.full(len(rows), 98.0),
    )


def signal(won: bool, **fields: object) -> dict[str, object]:
    return {"result": "WIN" if won else "LOSS", "r_multiple": 1.0 if won else -1.0,
            "pnl_pct": 2.0 if won else -2.0, **fields}  # fmt: skip


def test_too_few_signals_give_one_item_saying_so_and_nothing_else() -> None:
    result = advise(frame([signal(True)] * 10), min_n=30)
    [item] = result.items
    assert item.kind is AdviceKind.NOT_ENOUGH and item.evidence["n"] == 10
    assert item.evidence["needed"] == 30 and result.sweep == ()
    assert "perlu minimal 30" in render_advice_item(item, Lang.ID)


def test_the_threshold_that_maximised_expectancy_is_advised_with_its_numbers() -> None:
    rows = []
    for confidence in range(60, 100, 5):  # higher confidence, more wins: 2 of 10 up to 9 of 10
        wins = (confidence - 50) // 5
        rows += [signal(i < wins, confidence=confidence) for i in range(10)]
    result = advise(frame(rows), min_n=20)
    assert result.metric is Metric.R
    [item] = [i for i in result.items if i.kind is AdviceKind.CONFIDENCE_THRESHOLD]
    assert item.evidence["threshold"] == 90 and item.evidence["n"] == 20
    assert item.evidence["expectancy"] == pytest.approx((17 - 3) / 20)
    assert item.evidence["baseline_threshold"] == 60 and item.evidence["baseline_n"] == 80
    row = result.sweep[0]
    assert (row.threshold, row.n, row.wins, row.losses) == (60, 80, 44, 36)
    assert "confidence ≥ 90" in render_advice_item(item, Lang.EN)


def test_a_coin_losing_for_sure_is_a_candidate_to_exclude_and_a_noisy_one_is_not() -> None:
    rows = [signal(i % 10 == 0, symbol="DOGEUSDT") for i in range(60)]  # 10 % wins
    rows += [signal(i % 5 != 0, symbol="BTCUSDT") for i in range(60)]  # 80 % wins
    rows += [signal(i % 2 == 0, symbol="ETHUSDT") for i in range(40)]  # a coin flip
    rows += [signal(False, symbol="PEPEUSDT")] * 5  # bad but only five
    result = advise(frame(rows), min_n=30)
    excluded = [i.subject for i in result.items if i.kind is AdviceKind.EXCLUDE]
    assert excluded == ["symbol=DOGEUSDT"]  # not ETH (noise), not PEPE (too few), not 15m
    [item] = [i for i in result.items if i.subject == "symbol=DOGEUSDT"]
    assert item.evidence["n"] == 60 and item.evidence["interval_high"] < 0  # type: ignore[operator]


def test_a_losing_tag_is_flagged_and_pnl_is_used_when_few_signals_have_r() -> None:
    rows = [{**signal(i % 10 == 0, tags=("pump",)), "r_multiple": None} for i in range(40)]
    rows += [{**signal(i % 10 != 0, tags=("demand_zone",)), "r_multiple": None} for i in range(40)]
    rows += [{**signal(i % 2 == 0, tags=("momentum",)), "r_multiple": None} for i in range(40)]
    result = advise(frame(rows), min_n=30)
    assert result.metric is Metric.PNL
    assert [i.subject for i in result.items] == ["tag=pump"]


def test_the_mean_interval_is_seeded_and_normal_for_large_samples() -> None:
    values = np.array([1.0, -1.0] * 150)
    low, high = mean_interval(values, np.random.default_rng(1))
    half = 1.959963984540054 * np.std(values, ddof=1) / np.sqrt(300)
    assert (low, high) == pytest.approx((-half, half))
    small = np.array([1.0, -1.0, 2.0, 0.5])
    assert mean_interval(small, np.random.default_rng(3)) == mean_interval(
        small, np.random.default_rng(3)
    )


# --- the same advice from the store's counts ------------------------------------------

SYMBOLS = ("BTCUSDT", "DOGEUSDT", "ETHUSDT", "PEPEUSDT")
EDGE = {"BTCUSDT": 0.2, "DOGEUSDT": -0.6, "ETHUSDT": 0.0, "PEPEUSDT": -0.9}  # mean R
TAG_SETS = ((), ("pump",), ("dip", "momentum"), ("pump", "pump"), ("momentum",))


def random_frame(seed: int, n: int, by_hand: float) -> SignalFrame:
    """Signals of four coins (two losing), a share closed by hand (a PnL, no R), some
    open or cancelled, confidences on and off the band edges, tags (some repeated)."""
    rng = np.random.default_rng(seed)
    symbol = rng.choice(SYMBOLS, n, p=[0.45, 0.25, 0.2, 0.1])
    codes = rng.choice([-1, 0, 1, 2, 3, 4], n, p=[0.05, 0.4, 0.35, 0.1, 0.05, 0.05])
    r = np.array([EDGE[s] for s in symbol]) + rng.normal(0, 1.2, n)
    pnl = r * rng.uniform(0.5, 2.0, n)
    r[rng.random(n) < by_hand] = np.nan
    pnl[rng.random(n) < 0.03] = np.nan
    confidence = np.where(rng.random(n) < 0.3, rng.integers(8, 21, n) * 5.0,
                          np.round(rng.uniform(38, 100, n), 1))  # fmt: skip
    confidence[rng.random(n) < 0.1] = np.nan
    tags = tuple(TAG_SETS[i] for i in rng.integers(0, len(TAG_SETS), n))
    rows = [
        {"result": None if c < 0 else list(RESULT_CODES)[c].value, "pnl_pct": p, "r_multiple": x}
        for c, p, x in zip(codes, pnl.tolist(), r.tolist(), strict=True)
    ]
    return SignalFrame(
        outcomes=columns_from_rows(rows),  # type: ignore[arg-type]
        symbol=symbol.astype(np.str_),
        timeframe=rng.choice(["5m", "15m", "1h"], n).astype(np.str_),
        side=np.array(["LONG"] * n, dtype=np.str_),
        strategy=np.array(["default"] * n, dtype=np.str_),
        confidence=confidence,
        tags=tags,
        entry=np.full(n, 100.0),
        stop=np.full(n, 98.0),
    )


def from_counts(frame: SignalFrame, min_n: int, seed: int = SEED) -> Advice:
    counts = advice_counts(frame)
    sampled = sampled_groups(counts, min_n)
    wanted = np.zeros(len(frame), dtype=bool)
    for key, name in sampled:
        column = frame.tags if key is BreakdownKey.TAG else getattr(frame, key.value)
        wanted |= np.array([name in t for t in column] if key is BreakdownKey.TAG
                           else column == name, dtype=bool)  # fmt: skip
    samples = take(frame, wanted) if sampled else None
    return advise_counts(counts, samples, min_n=min_n, seed=seed)


def take(frame: SignalFrame, rows: npt.NDArray[np.bool_]) -> SignalFrame:
    """The chosen rows in the frame's order (as the store reads a few groups)."""
    return SignalFrame(
        outcomes=frame.outcomes.take(rows),
        symbol=frame.symbol[rows],
        timeframe=frame.timeframe[rows],
        side=frame.side[rows],
        strategy=frame.strategy[rows],
        confidence=frame.confidence[rows],
        tags=tuple(t for t, keep in zip(frame.tags, rows, strict=True) if keep),
        entry=frame.entry[rows],
        stop=frame.stop[rows],
    )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 900),
    by_hand=st.sampled_from([0.0, 0.05, 0.55, 1.0]),
    min_n=st.sampled_from([1, 5, 30, 120]),
)
def test_advice_from_counts_is_the_advice_from_rows(
    seed: int, n: int, by_hand: float, min_n: int
) -> None:
    frame = random_frame(seed, n, by_hand)
    assert_same_advice(from_counts(frame, min_n), advise(frame, min_n=min_n))


def test_the_fixed_cases_give_the_same_advice_from_counts() -> None:
    for seed, n, by_hand, min_n in [(1, 700, 0.05, 30), (2, 900, 0.55, 30), (3, 260, 0.0, 5)]:
        frame = random_frame(seed, n, by_hand)
        want = advise(frame, min_n=min_n)
        assert_same_advice(from_counts(frame, min_n), want)
    kinds = {item.kind for item in want.items}
    assert AdviceKind.EXCLUDE in kinds  # the losing coins, bootstrapped or normal
    assert "tag=(none)" not in {item.subject for item in want.items}


def test_advice_from_counts_needs_the_rows_of_the_bootstrapped_groups() -> None:
    frame = random_frame(4, 300, 0.0)
    counts = advice_counts(frame)
    assert sampled_groups(counts, 30)  # PEPE and others: 30 ≤ n < 200
    with pytest.raises(ValueError, match="give its signals"):
        advise_counts(counts, None, min_n=30)
    everything = advise_counts(counts, frame, min_n=30)  # more rows than needed: the same
    assert_same_advice(everything, advise(frame, min_n=30))


def test_the_sweep_rates_every_decided_signal_and_counts_the_expectancy_over_values() -> None:
    rows = [signal(True, confidence=90)] * 30 + [signal(False, confidence=90)] * 10
    rows += [{**signal(True, confidence=90), "r_multiple": None}] * 5  # closed by hand
    result = advise(frame(rows), min_n=30)
    [row] = result.sweep
    assert (row.threshold, row.n, row.wins, row.losses) == (90, 40, 35, 10)
    assert row.expectancy == pytest.approx(0.5)


def test_a_confidence_of_100_is_in_the_top_band_of_the_sweep() -> None:
    result = advise(frame([signal(True, confidence=100)] * 3), min_n=2)
    assert [(row.threshold, row.n) for row in result.sweep] == [(95, 3)]
