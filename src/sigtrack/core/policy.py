"""The resolution policy: every rule used to settle a signal from candles (DESIGN §3)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sigtrack.core.candles import MINUTE_MS, Timeframe
from sigtrack.core.errors import InvalidInput

MAX_LEGS = 3  # exit reasons name a partial exit after TP1 or TP2 (TP1_BE, TP2_EXPIRED …)


class SameCandle(StrEnum):
    """Which level wins when a candle opening between them reaches both."""

    SL_FIRST = "sl_first"  # the pessimistic rule of backtesting.py and freqtrade
    TP_FIRST = "tp_first"
    NEAREST_TO_OPEN = "nearest_to_open"  # the level closer to the candle's open (tie: stop)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolutionPolicy:
    """How candles settle a signal; `describe()` is stored with every outcome."""

    same_candle: SameCandle = SameCandle.SL_FIRST
    # Fraction of the position closed at TP1, TP2, …; a signal with fewer targets closes
    # what is left at its last target (one target: 100 % at TP1).
    exit_plan: tuple[float, ...] = (0.5, 0.5)
    move_stop_to_entry: bool = True  # after TP1, live from the next candle
    expire_after_timeframes: int = 96
    expire_after_minutes: int | None = None  # overrides expire_after_timeframes
    horizon_minutes: int | None = None  # MFE / MAE horizon for what-if; default: the life
    fee_bps_per_side: float = 0.0
    leverage: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "same_candle", parse_same_candle(self.same_candle))
        plan = tuple(_number(f, "exit_plan") for f in self.exit_plan)
        if not 1 <= len(plan) <= MAX_LEGS or any(f <= 0 for f in plan):
            raise InvalidInput(
                "exit_plan", f"must be 1 to {MAX_LEGS} fractions > 0 (got {self.exit_plan!r})"
            )
        if abs(math.fsum(plan) - 1) > 1e-9:
            raise InvalidInput("exit_plan", f"fractions must add up to 1 (got {plan!r})")
        object.__setattr__(self, "exit_plan", plan)
        for name in ("expire_after_timeframes", "expire_after_minutes", "horizon_minutes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise InvalidInput(name, f"must be a whole number > 0 (got {value!r})")
        fee = _number(self.fee_bps_per_side, "fee_bps_per_side")
        if not 0 <= fee < 10_000:
            raise InvalidInput("fee_bps_per_side", f"must be in [0, 10000) (got {fee!r})")
        leverage = _number(self.leverage, "leverage")
        if not 0 < leverage <= 1000:
            raise InvalidInput("leverage", f"must be in (0, 1000] (got {leverage!r})")
        object.__setattr__(self, "fee_bps_per_side", fee)
        object.__setattr__(self, "leverage", leverage)

    def life_ms(self, timeframe: Timeframe) -> int:
        if self.expire_after_minutes is not None:
            return self.expire_after_minutes * MINUTE_MS
        return self.expire_after_timeframes * timeframe.minutes * MINUTE_MS

    def horizon_ms(self, timeframe: Timeframe) -> int:
        if self.horizon_minutes is not None:
            return self.horizon_minutes * MINUTE_MS
        return self.life_ms(timeframe)

    def plan_for(self, n_targets: int) -> tuple[float, ...]:
        """The fractions for a signal with `n_targets` targets (the rest at the last)."""
        legs = min(n_targets, len(self.exit_plan))
        head = self.exit_plan[: legs - 1]
        return (*head, 1.0 - math.fsum(head))

    def describe(self) -> str:
        """One line naming every rule, e.g. `sl_first plan=0.5/0.5 be life=96tf fee=0bps x1`."""
        life = (
            f"life={self.expire_after_minutes}m"
            if self.expire_after_minutes is not None
            else f"life={self.expire_after_timeframes}tf"
        )
        parts = [
            self.same_candle.value,
            "plan=" + "/".join(f"{f:g}" for f in self.exit_plan),
            "be" if self.move_stop_to_entry else "fixed-stop",
            life,
            f"fee={self.fee_bps_per_side:g}bps",
            f"x{self.leverage:g}",
        ]
        if self.horizon_minutes is not None:
            parts.append(f"horizon={self.horizon_minutes}m")
        return " ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "same_candle": self.same_candle.value,
            "exit_plan": list(self.exit_plan),
            "move_stop_to_entry": self.move_stop_to_entry,
            "expire_after_timeframes": self.expire_after_timeframes,
            "expire_after_minutes": self.expire_after_minutes,
            "horizon_minutes": self.horizon_minutes,
            "fee_bps_per_side": self.fee_bps_per_side,
            "leverage": self.leverage,
        }

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> ResolutionPolicy:
        """A policy from config or JSON; unknown keys are an error naming them."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInput(
                "policy", f"unknown option(s) {', '.join(unknown)}; known: {sorted(known)}"
            )
        fields = dict(values)
        if "exit_plan" in fields:
            plan = fields["exit_plan"]
            if not isinstance(plan, list | tuple):
                raise InvalidInput("exit_plan", f"must be a list of fractions (got {plan!r})")
            fields["exit_plan"] = tuple(plan)
        return cls(**fields)  # type: ignore[arg-type]


def parse_same_candle(value: object) -> SameCandle:
    try:
        return SameCandle(str(value))
    except ValueError:
        known = ", ".join(rule.value for rule in SameCandle)
        raise InvalidInput("same_candle", f"must be one of {known} (got {value!r})") from None


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(field, f"must be a finite number (got {value!r})")
    return float(value)


DEFAULT_POLICY = ResolutionPolicy()
