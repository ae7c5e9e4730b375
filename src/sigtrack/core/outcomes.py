"""What settling says about a signal, and the arithmetic both engines share.

Prices inside the engines are *signed*: multiplied by the side's sign (+1 LONG, −1
SHORT), so that "further in the signal's favour" is always "larger". A LONG's best
excursion is its highest high; a SHORT's is its lowest low, i.e. the largest −low.
Both engines compute every derived number with the functions below, in the same order,
so that they agree to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, TypeVar

from sigtrack.core.candles import Candles
from sigtrack.core.errors import InvalidInput
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.signals import ExitReason, Result, Side, Signal, Status

Num = TypeVar("Num")  # a float, or a numpy array of them (the batch engine)


class CloseKind(IntEnum):
    OPEN = 0
    TARGET = 1  # the last leg of the plan reached its target
    STOP = 2  # the stop (original, or moved after a target) closed what was left
    EXPIRY = 3  # the life ended: what was left closed at the last close


@dataclass(frozen=True, slots=True, kw_only=True)
class Leg:
    """One part of the exit plan: `fraction` of the position aimed at `target`."""

    target: float
    fraction: float
    hit_ms: int | None = None  # open time of the candle that reached the target
    exit_ms: int | None = None  # when this part was closed (a hit, the stop, the expiry)
    exit_price: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """Where settling stands; a later pass over new candles resumes from here."""

    legs_done: int = 0  # targets reached so far
    close_kind: CloseKind = CloseKind.OPEN
    stop: float  # the live stop (moves to entry after TP1 by default)
    next_ms: int  # the first candle slot not read yet (life)
    fav_max: float | None = None  # best signed excursion price over the life so far
    adv_max: float | None = None  # worst, as the largest −(signed low)
    last_close: float | None = None  # close of the last candle read in the life
    gaps: int = 0  # candle slots the source confirmed missing within the life
    is_ambiguous: bool = False
    horizon_next_ms: int  # the first slot not read yet for the MFE / MAE horizon
    horizon_fav_max: float | None = None
    horizon_adv_max: float | None = None
    horizon_complete: bool = False  # the data covered the whole horizon


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The settled (or still open) state of one signal under one policy."""

    status: Status
    result: Result | None
    exit_reason: ExitReason | None
    legs: tuple[Leg, ...]
    closed_at_ms: int | None
    pnl_pct: float | None  # leverage × (move of the exits − fees), in %
    r_multiple: float | None  # (move − fees) ÷ initial risk, before leverage
    is_ambiguous: bool
    rule: str  # ResolutionPolicy.describe() of the policy applied
    mfe_pct: float | None  # best excursion over the life read so far, % of entry
    mae_pct: float | None  # worst excursion (≤ 0 when price went against the signal)
    horizon_mfe_pct: float | None
    horizon_mae_pct: float | None
    horizon_complete: bool
    gaps: int
    progress: Progress

    @property
    def closed_at(self) -> datetime | None:
        return ms_to_datetime(self.closed_at_ms)

    @property
    def target_hits(self) -> tuple[datetime | None, ...]:
        return tuple(ms_to_datetime(leg.hit_ms) for leg in self.legs)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: the outcome with its progress, so it can be stored and resumed."""
        return {
            "status": self.status.value,
            "result": self.result.value if self.result else None,
            "exit_reason": self.exit_reason.value if self.exit_reason else None,
            "closed_at": _iso(self.closed_at_ms),
            "pnl_pct": self.pnl_pct,
            "r_multiple": self.r_multiple,
            "ambiguous": self.is_ambiguous,
            "rule": self.rule,
            "mfe_pct": self.mfe_pct,
            "mae_pct": self.mae_pct,
            "horizon_mfe_pct": self.horizon_mfe_pct,
            "horizon_mae_pct": self.horizon_mae_pct,
            "horizon_complete": self.horizon_complete,
            "gaps": self.gaps,
            "legs": [
                {
                    "target": leg.target,
                    "fraction": leg.fraction,
                    "hit_at": _iso(leg.hit_ms),
                    "exit_at": _iso(leg.exit_ms),
                    "exit_price": leg.exit_price,
                    "hit_ms": leg.hit_ms,
                    "exit_ms": leg.exit_ms,
                }
                for leg in self.legs
            ],
            "progress": {
                **{
                    name: getattr(self.progress, name)
                    for name in Progress.__dataclass_fields__
                    if name != "close_kind"
                },
                "close_kind": int(self.progress.close_kind),
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        try:
            progress = Progress(
                **{**data["progress"], "close_kind": CloseKind(data["progress"]["close_kind"])}
            )
            legs = tuple(
                Leg(
                    target=leg["target"],
                    fraction=leg["fraction"],
                    hit_ms=leg["hit_ms"],
                    exit_ms=leg["exit_ms"],
                    exit_price=leg["exit_price"],
                )
                for leg in data["legs"]
            )
            return cls(
                status=Status(data["status"]),
                result=Result(data["result"]) if data["result"] else None,
                exit_reason=ExitReason(data["exit_reason"]) if data["exit_reason"] else None,
                legs=legs,
                closed_at_ms=_closed_ms(legs, progress.close_kind),
                pnl_pct=data["pnl_pct"],
                r_multiple=data["r_multiple"],
                is_ambiguous=bool(data["ambiguous"]),
                rule=data["rule"],
                mfe_pct=data["mfe_pct"],
                mae_pct=data["mae_pct"],
                horizon_mfe_pct=data["horizon_mfe_pct"],
                horizon_mae_pct=data["horizon_mae_pct"],
                horizon_complete=bool(data["horizon_complete"]),
                gaps=int(data["gaps"]),
                progress=progress,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("outcome", f"stored outcome cannot be read ({exc!r})") from None

    def with_rule(self, rule: str) -> Outcome:
        return replace(self, rule=rule)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalPlan:
    """What the engines need of a signal under a policy, in numbers."""

    sign: float  # +1 LONG, −1 SHORT
    entry: float
    stop: float
    targets: tuple[float, ...]  # one per leg of the exit plan
    fractions: tuple[float, ...]
    created_ms: int
    expires_ms: int
    horizon_end_ms: int

    @classmethod
    def of(cls, signal: Signal, policy: ResolutionPolicy) -> SignalPlan:
        fractions = policy.plan_for(len(signal.targets))
        created_ms = datetime_to_ms(signal.created_at)
        return cls(
            sign=1.0 if signal.side is Side.LONG else -1.0,
            entry=signal.entry,
            stop=signal.stop,
            targets=signal.targets[: len(fractions)],
            fractions=fractions,
            created_ms=created_ms,
            expires_ms=created_ms + policy.life_ms(signal.timeframe),
            horizon_end_ms=created_ms + policy.horizon_ms(signal.timeframe),
        )

    def start(self, candles: Candles) -> Progress:
        """The progress before any candle: the first slot is the first at or after creation."""
        step = candles.step_ms
        origin = int(candles.open_time_ms[0]) % step if len(candles) else 0
        first_slot = origin + -(-(self.created_ms - origin) // step) * step
        return Progress(stop=self.stop, next_ms=first_slot, horizon_next_ms=self.created_ms)

    def fresh_legs(self) -> tuple[Leg, ...]:
        return tuple(
            Leg(target=target, fraction=fraction)
            for target, fraction in zip(self.targets, self.fractions, strict=True)
        )


def make_outcome(
    plan: SignalPlan, policy: ResolutionPolicy, progress: Progress, legs: tuple[Leg, ...]
) -> Outcome:
    """Everything derived from the progress and the legs (the same for both engines)."""
    kind = progress.close_kind
    closed = kind is not CloseKind.OPEN
    pnl = r = None
    if closed and all(leg.exit_price is not None for leg in legs):
        pnl, r = pnl_and_r(
            plan.sign,
            plan.entry,
            plan.stop,
            [(leg.fraction, leg.exit_price) for leg in legs],  # type: ignore[misc]
            policy.fee_bps_per_side,
            policy.leverage,
        )
    mfe = mae = h_mfe = h_mae = None
    if progress.fav_max is not None and progress.adv_max is not None:
        mfe, mae = excursion_pcts(plan.sign, progress.fav_max, progress.adv_max, plan.entry)
    if progress.horizon_fav_max is not None and progress.horizon_adv_max is not None:
        h_mfe, h_mae = excursion_pcts(
            plan.sign, progress.horizon_fav_max, progress.horizon_adv_max, plan.entry
        )
    return Outcome(
        status=Status.CLOSED if closed else Status.ACTIVE,
        result=result_for(kind, progress.legs_done),
        exit_reason=exit_reason_for(kind, progress.legs_done, progress.stop != plan.stop),
        legs=legs,
        closed_at_ms=max(leg.exit_ms for leg in legs if leg.exit_ms is not None)
        if closed
        else None,
        pnl_pct=pnl,
        r_multiple=r,
        is_ambiguous=progress.is_ambiguous,
        rule=policy.describe(),
        mfe_pct=mfe,
        mae_pct=mae,
        horizon_mfe_pct=h_mfe,
        horizon_mae_pct=h_mae,
        horizon_complete=progress.horizon_complete,
        gaps=progress.gaps,
        progress=progress,
    )


def _closed_ms(legs: tuple[Leg, ...], kind: CloseKind) -> int | None:
    if kind is CloseKind.OPEN:
        return None
    return max(leg.exit_ms for leg in legs if leg.exit_ms is not None)


def exit_reason_for(kind: CloseKind, legs_done: int, stop_moved: bool) -> ExitReason | None:
    """The exit reason of DESIGN §3 for how the plan ended."""
    if kind is CloseKind.OPEN:
        return None
    if kind is CloseKind.TARGET:
        return ExitReason(f"TP{legs_done}")
    if legs_done == 0:
        return ExitReason.SL if kind is CloseKind.STOP else ExitReason.TIMEOUT
    if kind is CloseKind.EXPIRY:
        return ExitReason(f"TP{legs_done}_EXPIRED")
    return ExitReason(f"TP{legs_done}_BE" if stop_moved else f"TP{legs_done}_SL")


def result_for(kind: CloseKind, legs_done: int) -> Result | None:
    """WIN once a target was reached before the stop; LOSS at the stop; else EXPIRED."""
    if kind is CloseKind.OPEN:
        return None
    if legs_done:
        return Result.WIN
    return Result.LOSS if kind is CloseKind.STOP else Result.EXPIRED


def move_pct(sign: Num, price: Num, entry: Num) -> Num:
    """The price move from entry in the signal's favour, in % of entry."""
    return sign * (price - entry) / entry * 100.0  # type: ignore[operator, no-any-return]


def excursion_pcts(sign: Num, fav_max: Num, adv_max: Num, entry: Num) -> tuple[Num, Num]:
    """(MFE %, MAE %) from the signed extremes: best and worst move in the signal's favour."""
    signed_entry = sign * entry  # type: ignore[operator]
    mfe = (fav_max - signed_entry) / entry * 100.0
    mae = -(adv_max + signed_entry) / entry * 100.0
    return mfe, mae


def fee_pct(fee_bps_per_side: float) -> float:
    """Fees of a round trip in % of the position: entry plus every exit leg."""
    return 2.0 * fee_bps_per_side / 100.0


def pnl_and_r(
    sign: Num,
    entry: Num,
    stop: Num,
    exits: list[tuple[Num, Num]],
    fee_bps_per_side: float,
    leverage: float,
) -> tuple[Num, Num]:
    """(PnL %, R) of a closed plan from its exits as (fraction, price), in plan order."""
    fraction, price = exits[0]
    gross = fraction * move_pct(sign, price, entry)  # type: ignore[operator]
    for fraction, price in exits[1:]:
        gross = gross + fraction * move_pct(sign, price, entry)  # type: ignore[operator]
    net = gross - fee_pct(fee_bps_per_side)
    return leverage * net, net / risk_pct(entry, stop)


def risk_pct(entry: Num, stop: Num) -> Num:
    """The initial risk |entry − stop| in % of entry (the unit of R)."""
    return abs(entry - stop) / entry * 100.0  # type: ignore[operator, no-any-return]


def ms_to_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def datetime_to_ms(at: datetime) -> int:
    """Whole ms since the epoch; sub-ms parts round up (a candle opening before is earlier)."""
    delta = at - _EPOCH
    ms, rest = divmod(
        delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds, 1000
    )
    return int(ms + (1 if rest else 0))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso(ms: int | None) -> str | None:
    at = ms_to_datetime(ms)
    return at.isoformat().replace("+00:00", "Z") if at else None
