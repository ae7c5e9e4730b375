"""Both engines reproduce every hand-worked case of ../shared/vectors/settle.json exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sigtrack.core.batch_resolution import settle_many
from sigtrack.core.candles import Candles
from sigtrack.core.outcomes import Outcome, datetime_to_ms
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.resolution import settle_one
from sigtrack.core.signal_input import parse_datetime
from sigtrack.core.signals import Signal

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "settle.json"


def _cases() -> list[dict[str, Any]]:
    if not VECTORS.exists():
        return []
    return list(json.loads(VECTORS.read_text())["cases"])


def _ms(text: str) -> int:
    return datetime_to_ms(parse_datetime(text, "time"))


def _inputs(case: dict[str, Any]) -> tuple[Signal, Candles, ResolutionPolicy]:
    raw = case["signal"]
    targets = tuple(t for t in (raw["tp1"], raw.get("tp2")) if t is not None)
    signal = Signal(
        symbol="BTCUSDT",
        side=raw["side"],
        timeframe=raw["timeframe"],
        entry=raw["entry"],
        targets=targets,
        stop=raw["sl"],
        created_at=parse_datetime(raw["created_at"], "created_at"),
    )
    candles = Candles.from_rows([[_ms(row[0]), *row[1:]] for row in case["candles"]])
    return signal, candles, ResolutionPolicy.from_mapping(case.get("policy", {}))


def _check(outcome: Outcome, expect: dict[str, Any]) -> None:
    assert outcome.status.value == expect["status"]
    assert (outcome.result.value if outcome.result else None) == expect["result"]
    assert (outcome.exit_reason.value if outcome.exit_reason else None) == expect["exit_reason"]
    assert outcome.is_ambiguous is expect["ambiguous"]
    for name in ("pnl_pct", "r_multiple", "mfe_pct", "mae_pct"):
        if name in expect:
            if expect[name] is None:
                assert getattr(outcome, name) is None, name
            else:
                assert getattr(outcome, name) == pytest.approx(expect[name], abs=1e-9), name
    closed = expect["closed_at"]
    assert outcome.closed_at_ms == (_ms(closed) if closed else None)
    tp1 = expect["tp1_hit_at"]
    assert outcome.legs[0].hit_ms == (_ms(tp1) if tp1 else None)
    if "gaps" in expect:
        assert outcome.gaps == expect["gaps"]


@pytest.mark.skipif(not VECTORS.exists(), reason=f"{VECTORS} is absent (needs ../shared)")
@pytest.mark.parametrize("case", _cases(), ids=lambda case: case["name"])
def test_the_scalar_engine_reproduces_the_hand_worked_case(case: dict[str, Any]) -> None:
    signal, candles, policy = _inputs(case)
    _check(settle_one(signal, candles, policy), case["expect"])


@pytest.mark.skipif(not VECTORS.exists(), reason=f"{VECTORS} is absent (needs ../shared)")
@pytest.mark.parametrize("case", _cases(), ids=lambda case: case["name"])
def test_the_batch_engine_reproduces_the_hand_worked_case(case: dict[str, Any]) -> None:
    signal, candles, policy = _inputs(case)
    [outcome] = settle_many([signal], candles, policy).outcomes()
    _check(outcome, case["expect"])
    assert outcome == settle_one(signal, candles, policy)
