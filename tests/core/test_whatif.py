"""The TP/SL what-if: re-settles every signal per cell, chooses early, judges late."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sigtrack.core.batch_resolution import CandleIndex
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import InvalidInput
from sigtrack.core.performance import SignalFrame, columns_from_rows
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.render.advice import render_advice_item
from sigtrack.core.texts import Lang
from sigtrack.core.whatif import Unit, parse_grid, what_if, whatif_advice

T0 = 1_767_571_200_000
N_CANDLES = 3000


def rising() -> Candles:
    """Up 0.01 % a minute, never a step back: every LONG target is reached, no stop."""
    close = 100.0 * 1.0001 ** np.arange(1, N_CANDLES + 1)
    open_ = np.concatenate([[100.0], close[:-1]])
    return Candles(
        open_time_ms=T0 + MINUTE_MS * np.arange(N_CANDLES, dtype=np.int64),
        open=open_, high=close, low=open_, close=close, volume=np.ones(N_CANDLES),
    )  # fmt: skip


def frame(n: int, candles: Candles) -> SignalFrame:
    created = T0 + MINUTE_MS * np.arange(n, dtype=np.int64)
    entry = candles.open[:n].copy()
    rows = [{"result": "WIN", "pnl_pct": 1.0, "created_ms": int(t)} for t in created]
    return SignalFrame(
        outcomes=columns_from_rows(rows),
        symbol=np.array(["BTCUSDT"] * n, dtype=np.str_),
        timeframe=np.array(["1h"] * n, dtype=np.str_),
        side=np.array(["LONG"] * n, dtype=np.str_),
        strategy=np.array(["v1"] * n, dtype=np.str_),
        confidence=np.full(n, np.nan),
        tags=((),) * n,
        entry=entry,
        stop=entry * 0.995,  # risk 0.5 %
    )


def test_the_best_cell_is_chosen_early_and_judged_late() -> None:
    candles = rising()
    calls: list[tuple[int, int]] = []
    result = what_if(
        frame(50, candles), {"BTCUSDT": CandleIndex(candles)}, ResolutionPolicy(),
        targets=(1.0, 2.0, 4.0), stops=(0.5, 1.0), min_n=10,
        progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert calls == [(i, 6) for i in range(1, 7)]
    assert result.signals == 50 and len(result.cells) == 6
    best = result.best[0]
    assert best.target == 4.0  # 4 R = 2 % beats every smaller target on a rising market
    assert (best.n_in, best.n_out) == (30, 20)
    assert best.expectancy_in == pytest.approx(2.0) and best.expectancy_out == pytest.approx(2.0)
    assert best.profitable_out == 1.0
    assert result.recorded_out == pytest.approx(1.0) and result.recorded_n_out == 20


def test_percent_distances_and_too_few_signals() -> None:
    candles = rising()
    result = what_if(
        frame(12, candles), {"BTCUSDT": CandleIndex(candles)}, ResolutionPolicy(),
        targets=(0.5, 1.0), stops=(1.0,), unit=Unit.PCT, min_n=10,
    )  # fmt: skip
    assert [c.expectancy_in for c in result.cells] == pytest.approx([0.5, 1.0])
    assert result.best == () and not result.is_enough  # 7 early signals < 10


def test_signals_without_candles_are_left_out() -> None:
    candles = rising()
    result = what_if(frame(20, candles), {}, ResolutionPolicy(), targets=(1.0,), stops=(1.0,))
    assert result.signals == 0 and result.best == ()


def test_grids_are_checked() -> None:
    assert parse_grid("0.5, 1,2", (1.0,), "--targets") == (0.5, 1.0, 2.0)
    assert parse_grid(None, (1.0,), "--targets") == (1.0,)
    for bad in ("a,b", "0,1", "-1"):
        with pytest.raises(InvalidInput, match="--stops"):
            parse_grid(bad, (1.0,), "--stops")


def test_the_best_cell_becomes_advice_only_when_it_beat_the_recorded_levels_later() -> None:
    candles = rising()
    result = what_if(
        frame(50, candles), {"BTCUSDT": CandleIndex(candles)}, ResolutionPolicy(),
        targets=(1.0, 4.0), stops=(1.0,), min_n=10,
    )  # fmt: skip
    [item] = whatif_advice(result)
    assert item.subject == "tp=4R,sl=1R" and item.evidence["expectancy"] == pytest.approx(2.0)
    assert "Try TP 4 R and SL 1 R" in render_advice_item(item, Lang.EN)
    worse = replace(result, recorded_out=5.0)  # the recorded levels did better: no advice
    assert whatif_advice(worse) == []
