"""Signal levels, prices, confidence and side: every rule of DESIGN §3, each refusal named."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import LONG
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidSignal
from sigtrack.core.signals import (
    MAX_TARGETS,
    Side,
    Signal,
    parse_side,
    to_number,
    to_price,
)

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
SHORT: dict[str, Any] = {**LONG, "side": "SHORT", "targets": (49000.0, 48000.0), "stop": 51000.0}


def make(base: dict[str, Any] = LONG, **changes: Any) -> Signal:
    return Signal(**{**base, **changes})


def refusal(base: dict[str, Any] = LONG, **changes: Any) -> InvalidSignal:
    with pytest.raises(InvalidSignal) as caught:
        make(base, **changes)
    return caught.value


def test_a_valid_long_keeps_its_levels_and_defaults() -> None:
    sig = make()
    assert (sig.symbol, sig.side, sig.timeframe) == ("BTCUSDT", Side.LONG, Timeframe.M15)
    assert (sig.entry, sig.targets, sig.stop) == (50000.0, (51000.0, 52000.0), 49000.0)
    assert (sig.tp1, sig.tp2) == (51000.0, 52000.0)
    assert sig.risk_pct == pytest.approx(2.0)
    assert (sig.strategy, sig.source, sig.exchange, sig.market) == (
        "default",
        "autosignal",
        "binance",
        "usdm",
    )
    assert sig.confidence is None
    assert sig.receivers == ()
    assert sig.user_id == 0


def test_a_valid_short_is_accepted_with_mirrored_levels() -> None:
    sig = make(SHORT)
    assert sig.side is Side.SHORT
    assert sig.targets == (49000.0, 48000.0)
    assert sig.risk_pct == pytest.approx(2.0)


def test_a_single_target_leaves_tp2_empty() -> None:
    assert make(targets=(51000.0,)).tp2 is None


def test_ten_targets_are_accepted() -> None:
    levels = tuple(50000.0 + 100 * i for i in range(1, MAX_TARGETS + 1))
    assert make(targets=levels).targets == levels


def test_integer_and_numeric_text_prices_become_floats() -> None:
    sig = make(entry=50000, stop="49000", targets=[51000])
    assert (sig.entry, sig.stop, sig.targets) == (50000.0, 49000.0, (51000.0,))
    assert all(isinstance(v, float) for v in (sig.entry, sig.stop, *sig.targets))


@pytest.mark.parametrize(
    ("base", "changes", "field", "shown"),
    [
        (LONG, {"stop": 50500.0}, "sl", "sl=50500.0"),
        (LONG, {"stop": 50000.0}, "sl", "sl=50000.0"),
        (LONG, {"targets": (49500.0,)}, "tp1", "tp1=49500.0"),
        (LONG, {"targets": (50000.0,)}, "tp1", "tp1=50000.0"),
        (LONG, {"targets": (51000.0, 51000.0)}, "tp2", "tp2=51000.0"),
        (LONG, {"targets": (51000.0, 52000.0, 51500.0)}, "tp3", "tp3=51500.0"),
        (SHORT, {"stop": 49500.0}, "sl", "sl=49500.0"),
        (SHORT, {"targets": (50500.0,)}, "tp1", "tp1=50500.0"),
        (SHORT, {"targets": (49000.0, 49500.0)}, "tp2", "tp2=49500.0"),
    ],
)
def test_levels_out_of_order_are_refused_naming_the_level_and_its_value(
    base: dict[str, Any], changes: dict[str, Any], field: str, shown: str
) -> None:
    error = refusal(base, **changes)
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert shown in str(error)


def test_long_with_stop_above_entry_is_refused_naming_sl() -> None:
    error = refusal(stop=50500.0)
    assert str(error) == "sl: must be below entry for LONG (got sl=50500.0 vs entry=50000.0)"


def test_short_with_stop_below_entry_is_refused_saying_above() -> None:
    assert "must be above entry for SHORT" in str(refusal(SHORT, stop=49500.0))


@pytest.mark.parametrize(
    ("changes", "field", "shown"),
    [
        ({"entry": 0}, "entry", "(got 0)"),
        ({"entry": -50000.0}, "entry", "(got -50000.0)"),
        ({"entry": math.nan}, "entry", "(got nan)"),
        ({"entry": math.inf}, "entry", "(got inf)"),
        ({"entry": None}, "entry", "(got None)"),
        ({"entry": "fifty"}, "entry", "(got 'fifty')"),
        ({"entry": True}, "entry", "(got True)"),
        ({"stop": 0.0}, "sl", "(got 0.0)"),
        ({"stop": -math.inf}, "sl", "(got -inf)"),
        ({"stop": False}, "sl", "(got False)"),
        ({"targets": (math.nan,)}, "tp1", "(got nan)"),
        ({"targets": (51000.0, math.inf)}, "tp2", "(got inf)"),
        ({"targets": (51000.0, True)}, "tp2", "(got True)"),
        ({"targets": (51000.0, "abc")}, "tp2", "(got 'abc')"),
    ],
)
def test_prices_that_are_not_finite_positive_numbers_are_refused_showing_the_value(
    changes: dict[str, Any], field: str, shown: str
) -> None:
    error = refusal(**changes)
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert shown in str(error)


@pytest.mark.parametrize("count", [0, MAX_TARGETS + 1])
def test_target_counts_outside_one_to_ten_are_refused(count: int) -> None:
    levels = tuple(50000.0 + 100 * i for i in range(1, count + 1))
    error = refusal(targets=levels)
    assert error.field == "targets"
    assert f"(got {count})" in str(error)


@pytest.mark.parametrize(
    ("confidence", "stored"), [(0, 0.0), (100, 100.0), (80, 80.0), ("75.5", 75.5), (None, None)]
)
def test_confidence_from_0_to_100_is_kept_as_a_float(confidence: Any, stored: Any) -> None:
    assert make(confidence=confidence).confidence == stored


@pytest.mark.parametrize(
    ("confidence", "shown"),
    [(-0.1, "-0.1"), (100.5, "100.5"), (math.nan, "nan"), (True, "True"), ("high", "'high'")],
)
def test_confidence_outside_0_to_100_or_not_a_number_is_refused(
    confidence: Any, shown: str
) -> None:
    error = refusal(confidence=confidence)
    assert error.field == "confidence"
    assert shown in str(error)


@pytest.mark.parametrize(
    ("raw", "side"),
    [("LONG", Side.LONG), ("buy", Side.LONG), (" Buy ", Side.LONG), ("short", Side.SHORT),
     ("SELL", Side.SHORT), (Side.SHORT, Side.SHORT)],
)  # fmt: skip
def test_side_accepts_buy_and_sell_as_aliases(raw: Any, side: Side) -> None:
    assert parse_side(raw) is side
    assert make(SHORT if side is Side.SHORT else LONG, side=raw).side is side


@pytest.mark.parametrize("raw", ["HOLD", "", None, 1, "LONGSHORT"])
def test_unknown_sides_are_refused_naming_side_and_value(raw: Any) -> None:
    error = refusal(side=raw)
    assert error.field == "side"
    assert repr(raw) in str(error)


@pytest.mark.parametrize("value", [True, False, None, "x", [1]])
def test_to_number_refuses_bools_and_non_numbers_naming_the_field(value: Any) -> None:
    with pytest.raises(InvalidSignal) as caught:
        to_number(value, "pnl_pct")
    assert caught.value.field == "pnl_pct"


@pytest.mark.parametrize(
    ("field", "value"),
    [("entry", 10**400), ("confidence", -(10**400))],
    ids=["entry", "confidence"],
)
def test_an_integer_too_large_for_a_float_is_refused_naming_the_field(
    field: str, value: int
) -> None:
    assert refusal(**{field: value}).field == field


def test_every_refusal_is_an_invalid_signal_and_a_value_error() -> None:
    error = refusal(stop=50500.0)
    assert isinstance(error, InvalidSignal)
    assert isinstance(error, ValueError)
    with pytest.raises(ValueError, match=r"^entry: "):
        to_price(-1, "entry")


def test_a_signal_is_frozen() -> None:
    sig = make()
    with pytest.raises(AttributeError):
        sig.entry = 1.0  # type: ignore[misc]


_ENTRY = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
_RISK = st.floats(min_value=1e-3, max_value=0.09)


@settings(max_examples=50)
@given(entry=_ENTRY, risk=_RISK, n=st.integers(min_value=1, max_value=MAX_TARGETS))
def test_any_valid_long_built_from_positive_risk_and_entry_round_trips_its_levels(
    entry: float, risk: float, n: int
) -> None:
    stop = entry * (1 - risk)
    targets = tuple(entry * (1 + k * risk) for k in range(1, n + 1))
    sig = make(entry=entry, stop=stop, targets=targets)
    assert (sig.entry, sig.stop, sig.targets) == (entry, stop, targets)
    assert sig.risk_pct == pytest.approx(risk * 100)


@settings(max_examples=50)
@given(entry=_ENTRY, risk=_RISK, n=st.integers(min_value=1, max_value=MAX_TARGETS))
def test_any_valid_short_mirrors_the_long_and_swapping_the_side_is_refused(
    entry: float, risk: float, n: int
) -> None:
    stop = entry * (1 + risk)
    targets = tuple(entry * (1 - k * risk) for k in range(1, n + 1))
    sig = make(SHORT, entry=entry, stop=stop, targets=targets)
    assert (sig.side, sig.entry, sig.stop, sig.targets) == (Side.SHORT, entry, stop, targets)
    assert refusal(SHORT, side="LONG", entry=entry, stop=stop, targets=targets).field == "sl"


def test_reasons_given_as_one_text_are_refused_not_split_into_letters() -> None:
    with pytest.raises(InvalidSignal, match="reasons"):
        Signal(
            symbol="BTCUSDT", side=Side.LONG, timeframe="15m", entry=100.0,  # type: ignore[arg-type]
            targets=(102.0,), stop=98.0, created_at=datetime(2026, 1, 5, tzinfo=UTC),
            reasons="Near demand zone",  # type: ignore[arg-type]
        )  # fmt: skip
