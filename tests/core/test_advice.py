"""Advice names its evidence and refuses to advise on too little data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from counting import advice_counts, assert_same_advice
from sigtrack.core.advice import (
    ADVISED,
    Advice,
    AdviceKind,
    Metric,
    advise,
    advise_counts,
    frame_counts,
    mean_interval,
)
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.errors import InvalidInput
from sigtrack.core.performance import RESULT_CODES, SignalFrame, columns_from_rows
from sigtrack.core.render.advice import render_advice_item
from sigtrack.core.stats import ResultCounts
from sigtrack.core.texts import Lang


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
    rows += [signal(False, symbol="PEPEUSDT")] * 4  # bad but only four: fewer than a group needs
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


def test_the_mean_interval_is_the_normal_one_from_n_sum_and_squares() -> None:
    values = np.array([1.0, -1.0, 2.0, 0.5, -0.25, 3.0])
    n, total, squares = len(values), float(values.sum()), float(values @ values)
    scale = np.std(values, ddof=1) / np.sqrt(n)
    want = scipy_stats.norm.interval(0.95, loc=values.mean(), scale=scale)
    assert mean_interval(n, total, squares) == pytest.approx(want, rel=1e-12)
    wide = scipy_stats.norm.interval(0.95, loc=values.mean(), scale=10 / np.sqrt(n))
    assert mean_interval(n, total, squares, floor=10.0) == pytest.approx(wide, rel=1e-12)


def record(**coins: tuple[int, int]) -> list[dict[str, object]]:
    """Signals of ±2 % PnL and ±1 R per coin: (wins, losses)."""
    return [signal(i < wins, symbol=coin) for coin, (wins, losses) in coins.items()
            for i in range(wins + losses)]  # fmt: skip


def excluded(result: Advice) -> list[str]:
    return [item.subject for item in result.items if item.kind is AdviceKind.EXCLUDE]


def test_a_coin_at_2_wins_and_18_losses_is_credibly_bad_though_under_the_record_minimum() -> None:
    result = advise(frame(record(BTCUSDT=(40, 25), ETHUSDT=(30, 30), DOGEUSDT=(2, 18))))
    assert result.min_n == 30 and result.group_min_n == 5
    assert excluded(result) == ["symbol=DOGEUSDT"]
    [item] = [i for i in result.items if i.subject == "symbol=DOGEUSDT"]
    # DOGE's own spread (0.62 R) is below the record's, which it borrows: a 95 % normal
    # interval around −0.8 R with the record's standard deviation over √20
    everything = np.array([1.0] * 72 + [-1.0] * 73)
    scale = np.std(everything, ddof=1) / np.sqrt(20)
    want = scipy_stats.norm.interval(0.95, loc=-0.8, scale=scale)
    assert item.evidence["n"] == 20 and item.evidence["expectancy"] == pytest.approx(-0.8)
    assert (item.evidence["interval_low"], item.evidence["interval_high"]) == pytest.approx(want)


def test_a_coin_at_0_wins_and_2_losses_is_never_called_bad_even_with_no_group_minimum() -> None:
    rows = record(BTCUSDT=(40, 25), ETHUSDT=(30, 30), DOGEUSDT=(0, 2))
    assert excluded(advise(frame(rows))) == []
    # the interval itself decides: two losses borrow the record's spread, −1 ± 1.4 R
    assert excluded(advise(frame(rows), group_min_n=1)) == []


def test_a_group_is_judged_from_its_own_minimum_and_not_below_it() -> None:
    at_minimum = advise(frame(record(BTCUSDT=(40, 25), ETHUSDT=(30, 30), DOGEUSDT=(0, 5))))
    assert excluded(at_minimum) == ["symbol=DOGEUSDT"]  # −1 ± 0.88 R: below zero
    rows = record(BTCUSDT=(40, 25), ETHUSDT=(30, 30), DOGEUSDT=(0, 4))
    assert excluded(advise(frame(rows))) == []  # four are too few to judge …
    assert excluded(advise(frame(rows), group_min_n=4)) == ["symbol=DOGEUSDT"]  # −1 ± 0.98 R


@pytest.mark.parametrize("field", ["min_n", "group_min_n"])
@pytest.mark.parametrize("value", [0, -1, True, 2.5])
def test_a_minimum_must_be_a_whole_number_of_at_least_one(field: str, value: object) -> None:
    with pytest.raises(InvalidInput, match=field):
        advise(frame(record(BTCUSDT=(40, 25))), **{field: value})  # type: ignore[arg-type]


def test_a_large_group_is_judged_by_its_own_spread() -> None:
    rows = record(BTCUSDT=(300, 100), ETHUSDT=(100, 100))
    rows += [{**signal(False, symbol="DOGEUSDT"), "r_multiple": -0.1} for _ in range(250)]
    [item] = [i for i in advise(frame(rows)).items if i.kind is AdviceKind.EXCLUDE]
    assert item.subject == "symbol=DOGEUSDT"  # 250 × −0.1 R: no spread of its own
    low, high = item.evidence["interval_low"], item.evidence["interval_high"]
    assert (low, high) == pytest.approx((-0.1, -0.1))


# --- the sums per group of a frame ------------------------------------------------------

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


def assert_same_counts(got: ResultCounts, want: ResultCounts) -> None:
    assert (got.open, dict(got.by_result)) == (want.open, dict(want.by_result))
    assert (got.pnl_count, got.r_count) == (want.pnl_count, want.r_count)
    for name in ("pnl_sum_pct", "pnl_sq", "r_sum", "r_sq"):
        assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 600), by_hand=st.sampled_from([0, 0.5]))
def test_a_frame_is_summed_per_group_as_the_store_sums_it(
    seed: int, n: int, by_hand: float
) -> None:
    frame = random_frame(seed, n, by_hand)
    got, want = frame_counts(frame), advice_counts(frame)  # one sort vs a mask per group
    for key in (*ADVISED, BreakdownKey.CONFIDENCE):
        assert set(got.of(key)) == set(want.of(key)), key
        for name, counts in want.of(key).items():
            assert_same_counts(got.of(key)[name], counts)


def test_the_advice_of_rows_is_the_advice_of_their_sums() -> None:
    for seed, n, by_hand, min_n in [(1, 700, 0.05, 30), (2, 900, 0.55, 30), (3, 260, 0.0, 5)]:
        frame = random_frame(seed, n, by_hand)
        want = advise(frame, min_n=min_n)
        assert_same_advice(advise_counts(advice_counts(frame), min_n=min_n), want)
    kinds = {item.kind for item in want.items}
    assert AdviceKind.EXCLUDE in kinds  # the losing coins
    assert "tag=(none)" not in {item.subject for item in want.items}


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
