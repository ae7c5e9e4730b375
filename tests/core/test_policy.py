"""The resolution policy: every rule named, validated, and described with each outcome."""

from __future__ import annotations

import pytest

from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidInput
from sigtrack.core.policy import DEFAULT_POLICY, ResolutionPolicy, SameCandle


def test_the_default_policy_is_the_design_one() -> None:
    assert DEFAULT_POLICY.same_candle is SameCandle.SL_FIRST
    assert DEFAULT_POLICY.exit_plan == (0.5, 0.5) and DEFAULT_POLICY.move_stop_to_entry
    assert DEFAULT_POLICY.life_ms(Timeframe.M15) == 96 * 15 * 60_000
    assert DEFAULT_POLICY.describe() == "sl_first plan=0.5/0.5 be life=96tf fee=0bps x1"


def test_a_signal_with_fewer_targets_closes_the_rest_at_its_last_target() -> None:
    policy = ResolutionPolicy(exit_plan=(0.25, 0.25, 0.5))
    assert policy.plan_for(1) == (1.0,)
    assert policy.plan_for(2) == (0.25, 0.75)
    assert policy.plan_for(5) == (0.25, 0.25, 0.5)


def test_minutes_override_timeframes_for_life_and_horizon() -> None:
    policy = ResolutionPolicy(expire_after_minutes=90, horizon_minutes=30)
    assert policy.life_ms(Timeframe.H4) == 90 * 60_000
    assert policy.horizon_ms(Timeframe.H4) == 30 * 60_000
    assert ResolutionPolicy().horizon_ms(Timeframe.H1) == ResolutionPolicy().life_ms(Timeframe.H1)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"same_candle": "worst"}, "same_candle"),
        ({"exit_plan": (0.5, 0.4)}, "exit_plan"),
        ({"exit_plan": (0.5, -0.5, 1.0)}, "exit_plan"),
        ({"exit_plan": (0.25, 0.25, 0.25, 0.25)}, "exit_plan"),
        ({"exit_plan": ("half", 0.5)}, "exit_plan"),
        ({"expire_after_timeframes": 0}, "expire_after_timeframes"),
        ({"horizon_minutes": 1.5}, "horizon_minutes"),
        ({"fee_bps_per_side": -1}, "fee_bps_per_side"),
        ({"leverage": 0}, "leverage"),
        ({"leverage": float("inf")}, "leverage"),
    ],
)
def test_bad_options_name_the_field_and_value(options: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ResolutionPolicy(**options)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_policy_survives_json_and_unknown_keys_are_named() -> None:
    policy = ResolutionPolicy(
        same_candle=SameCandle.NEAREST_TO_OPEN, exit_plan=(0.3, 0.7), fee_bps_per_side=4
    )
    assert ResolutionPolicy.from_mapping(policy.to_json()) == policy
    with pytest.raises(InvalidInput, match=r"unknown option.*stop_loss"):
        ResolutionPolicy.from_mapping({"stop_loss": 2})
