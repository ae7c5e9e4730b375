"""Advice names its evidence and refuses to advise on too little data."""

from __future__ import annotations

import numpy as np
import pytest

from sigtrack.core.advice import AdviceKind, Metric, advise, mean_interval
from sigtrack.core.performance import SignalFrame, columns_from_rows
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
