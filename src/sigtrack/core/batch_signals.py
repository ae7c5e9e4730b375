"""Signals and outcomes as column arrays, for the batch engine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from sigtrack.core.candles import Candles
from sigtrack.core.errors import InvalidInput
from sigtrack.core.outcomes import (
    CloseKind,
    Leg,
    Outcome,
    Progress,
    SignalPlan,
    excursion_pcts,
    exit_reason_for,
    pnl_and_r,
    result_for,
)
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.signals import Signal, Status

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

NO_TIME = np.iinfo(np.int64).min  # "no time" in an int64 column of times


@dataclass(frozen=True, slots=True, eq=False)
class SignalBatch:
    """N signals of one symbol under one policy; targets and fractions are N × legs."""

    sign: F64  # +1 LONG, −1 SHORT
    entry: F64
    stop: F64
    targets: F64  # unused legs hold the entry (a zero move)
    fractions: F64  # unused legs hold 0
    n_legs: I64
    created_ms: I64
    expires_ms: I64
    horizon_end_ms: I64

    def __len__(self) -> int:
        return len(self.sign)

    @classmethod
    def from_signals(cls, signals: Sequence[Signal], policy: ResolutionPolicy) -> SignalBatch:
        plans = [SignalPlan.of(signal, policy) for signal in signals]
        width = len(policy.exit_plan)
        targets = np.empty((len(plans), width))
        fractions = np.zeros((len(plans), width))
        for i, plan in enumerate(plans):
            legs = len(plan.targets)
            targets[i, :legs], targets[i, legs:] = plan.targets, plan.entry
            fractions[i, :legs] = plan.fractions
        return cls(
            sign=np.array([p.sign for p in plans], dtype=np.float64),
            entry=np.array([p.entry for p in plans], dtype=np.float64),
            stop=np.array([p.stop for p in plans], dtype=np.float64),
            targets=targets,
            fractions=fractions,
            n_legs=np.array([len(p.targets) for p in plans], dtype=np.int64),
            created_ms=np.array([p.created_ms for p in plans], dtype=np.int64),
            expires_ms=np.array([p.expires_ms for p in plans], dtype=np.int64),
            horizon_end_ms=np.array([p.horizon_end_ms for p in plans], dtype=np.int64),
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        is_long: npt.ArrayLike,
        entry: npt.ArrayLike,
        stop: npt.ArrayLike,
        targets: npt.ArrayLike,
        created_ms: npt.ArrayLike,
        life_ms: npt.ArrayLike,
        policy: ResolutionPolicy,
        horizon_ms: npt.ArrayLike | None = None,
    ) -> SignalBatch:
        """Signals straight from arrays (targets N × T, NaN where a signal has fewer)."""
        long = np.asarray(is_long, dtype=bool)
        sign = np.where(long, 1.0, -1.0)
        entry_a = np.asarray(entry, dtype=np.float64)
        stop_a = np.asarray(stop, dtype=np.float64)
        given = np.atleast_2d(np.asarray(targets, dtype=np.float64))
        _check_levels(sign, entry_a, stop_a, given)
        width = len(policy.exit_plan)
        n_targets = np.sum(~np.isnan(given), axis=1)
        n_legs = np.minimum(n_targets, width).astype(np.int64)
        table = np.zeros((width + 1, width))
        for legs in range(1, width + 1):
            table[legs, :legs] = policy.plan_for(legs)
        fractions = table[n_legs]
        padded = np.full((len(sign), width), np.nan)
        padded[:, : min(width, given.shape[1])] = given[:, :width]
        used = np.arange(width)[None, :] < n_legs[:, None]
        created = np.asarray(created_ms, dtype=np.int64)
        life = np.broadcast_to(np.asarray(life_ms, dtype=np.int64), created.shape)
        horizon = life if horizon_ms is None else np.asarray(horizon_ms, dtype=np.int64)
        return cls(
            sign=sign,
            entry=entry_a,
            stop=stop_a,
            targets=np.where(used, padded, entry_a[:, None]),
            fractions=fractions,
            n_legs=n_legs,
            created_ms=created,
            expires_ms=created + life,
            horizon_end_ms=created + horizon,
        )

    def take(self, rows: slice | I64) -> SignalBatch:
        """These rows (a slice gives views, an index array copies)."""
        return SignalBatch(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


def _check_levels(sign: F64, entry: F64, stop: F64, targets: F64) -> None:
    first = targets[:, 0] if targets.shape[1] else np.full(len(sign), np.nan)
    ordered = np.ones(len(sign), dtype=bool)
    for j in range(1, targets.shape[1]):
        later = targets[:, j]
        ordered &= np.isnan(later) | (sign * later > sign * targets[:, j - 1])
    good = (
        np.isfinite(entry)
        & (entry > 0)
        & np.isfinite(stop)
        & (stop > 0)
        & np.isfinite(first)
        & (sign * stop < sign * entry)
        & (sign * first > sign * entry)
        & ordered
    )
    bad = np.flatnonzero(~good)
    if len(bad):
        i = int(bad[0])
        raise InvalidInput(
            "signals",
            f"row {i}: levels must be finite, > 0 and ordered stop < entry < tp1 < tp2 "
            f"(mirrored for SHORT); got entry={float(entry[i])!r} stop={float(stop[i])!r} "
            f"targets={targets[i].tolist()!r} ({len(bad)} bad row(s))",
        )


@dataclass(slots=True, eq=False)
class OutcomeBatch:
    """The outcomes (and progress) of a SignalBatch, as arrays; `outcome(i)` gives one."""

    signals: SignalBatch
    rule: str
    legs_done: I64
    close_kind: I64
    stop: F64
    next_ms: I64
    fav_max: F64  # NaN: nothing read yet
    adv_max: F64
    last_close: F64
    gaps: I64
    is_ambiguous: B
    horizon_next_ms: I64
    horizon_fav_max: F64
    horizon_adv_max: F64
    horizon_complete: B
    hit_ms: I64  # N × legs, NO_TIME when not reached
    exit_ms: I64
    exit_price: F64
    pnl_pct: F64  # derived by finish(); NaN while open
    r_multiple: F64
    mfe_pct: F64
    mae_pct: F64
    horizon_mfe_pct: F64
    horizon_mae_pct: F64

    def __len__(self) -> int:
        return len(self.legs_done)

    @classmethod
    def start(cls, batch: SignalBatch, candles: Candles, policy: ResolutionPolicy) -> OutcomeBatch:
        step = candles.step_ms
        origin = int(candles.open_time_ms[0]) % step if len(candles) else 0
        first_slot = origin + -(-(batch.created_ms - origin) // step) * step
        n, width = len(batch), batch.targets.shape[1]
        return cls(
            signals=batch,
            rule=policy.describe(),
            legs_done=np.zeros(n, dtype=np.int64),
            close_kind=np.zeros(n, dtype=np.int64),
            stop=batch.stop.copy(),
            next_ms=first_slot.astype(np.int64),
            fav_max=np.full(n, np.nan),
            adv_max=np.full(n, np.nan),
            last_close=np.full(n, np.nan),
            gaps=np.zeros(n, dtype=np.int64),
            is_ambiguous=np.zeros(n, dtype=bool),
            horizon_next_ms=batch.created_ms.copy(),
            horizon_fav_max=np.full(n, np.nan),
            horizon_adv_max=np.full(n, np.nan),
            horizon_complete=np.zeros(n, dtype=bool),
            hit_ms=np.full((n, width), NO_TIME, dtype=np.int64),
            exit_ms=np.full((n, width), NO_TIME, dtype=np.int64),
            exit_price=np.full((n, width), np.nan),
            **{name: np.full(n, np.nan) for name in _DERIVED},
        )

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Sequence[Outcome | None],
        batch: SignalBatch,
        policy: ResolutionPolicy,
        candles: Candles,
    ) -> OutcomeBatch:
        """Resume from stored outcomes (one per signal of `batch`, None: from the start)."""
        if len(outcomes) != len(batch):
            raise InvalidInput(
                "since", f"needs one outcome per signal ({len(outcomes)} for {len(batch)})"
            )
        state = cls.start(batch, candles, policy)
        for i, outcome in enumerate(outcomes):
            if outcome is None:
                continue
            p = outcome.progress
            state.legs_done[i], state.close_kind[i] = p.legs_done, int(p.close_kind)
            state.stop[i], state.next_ms[i], state.gaps[i] = p.stop, p.next_ms, p.gaps
            state.is_ambiguous[i], state.horizon_complete[i] = p.is_ambiguous, p.horizon_complete
            state.horizon_next_ms[i] = p.horizon_next_ms
            for name in ("fav_max", "adv_max", "last_close", "horizon_fav_max", "horizon_adv_max"):
                value = getattr(p, name)
                getattr(state, name)[i] = np.nan if value is None else value
            for j, leg in enumerate(outcome.legs):
                state.hit_ms[i, j] = NO_TIME if leg.hit_ms is None else leg.hit_ms
                state.exit_ms[i, j] = NO_TIME if leg.exit_ms is None else leg.exit_ms
                state.exit_price[i, j] = np.nan if leg.exit_price is None else leg.exit_price
        return state

    def copy(self) -> OutcomeBatch:
        return replace(self, **{name: getattr(self, name).copy() for name in _ARRAYS})

    def view(self, rows: slice) -> OutcomeBatch:
        """The rows as views: writing into them writes into this batch."""
        return replace(
            self,
            signals=self.signals.take(rows),
            **{name: getattr(self, name)[rows] for name in _ARRAYS},
        )

    def finish(self, batch: SignalBatch, policy: ResolutionPolicy, data_end_ms: int | None) -> None:
        """Compute the derived columns (PnL, R, MFE / MAE) with the scalar engine's math."""
        closed = self.close_kind != CloseKind.OPEN
        prices = np.where(batch.fractions > 0, self.exit_price, batch.entry[:, None])
        exits = [(batch.fractions[:, j], prices[:, j]) for j in range(prices.shape[1])]
        if exits:
            pnl, r = pnl_and_r(
                batch.sign, batch.entry, batch.stop, exits, policy.fee_bps_per_side, policy.leverage
            )
            self.pnl_pct = np.where(closed, pnl, np.nan)
            self.r_multiple = np.where(closed, r, np.nan)
        self.mfe_pct, self.mae_pct = excursion_pcts(
            batch.sign, self.fav_max, self.adv_max, batch.entry
        )
        self.horizon_mfe_pct, self.horizon_mae_pct = excursion_pcts(
            batch.sign, self.horizon_fav_max, self.horizon_adv_max, batch.entry
        )

    @property
    def is_closed(self) -> B:
        closed: B = self.close_kind != CloseKind.OPEN
        return closed

    def outcome(self, i: int) -> Outcome:
        batch = self.signals
        n_legs = int(batch.n_legs[i])
        kind = CloseKind(int(self.close_kind[i]))
        legs = tuple(
            Leg(
                target=float(batch.targets[i, j]),
                fraction=float(batch.fractions[i, j]),
                hit_ms=_time(self.hit_ms[i, j]),
                exit_ms=_time(self.exit_ms[i, j]),
                exit_price=_number(self.exit_price[i, j]),
            )
            for j in range(n_legs)
        )
        progress = Progress(
            legs_done=int(self.legs_done[i]),
            close_kind=kind,
            stop=float(self.stop[i]),
            next_ms=int(self.next_ms[i]),
            fav_max=_number(self.fav_max[i]),
            adv_max=_number(self.adv_max[i]),
            last_close=_number(self.last_close[i]),
            gaps=int(self.gaps[i]),
            is_ambiguous=bool(self.is_ambiguous[i]),
            horizon_next_ms=int(self.horizon_next_ms[i]),
            horizon_fav_max=_number(self.horizon_fav_max[i]),
            horizon_adv_max=_number(self.horizon_adv_max[i]),
            horizon_complete=bool(self.horizon_complete[i]),
        )
        closed = kind is not CloseKind.OPEN
        return Outcome(
            status=Status.CLOSED if closed else Status.ACTIVE,
            result=result_for(kind, progress.legs_done),
            exit_reason=exit_reason_for(kind, progress.legs_done, progress.stop != batch.stop[i]),
            legs=legs,
            closed_at_ms=max(leg.exit_ms for leg in legs if leg.exit_ms is not None)
            if closed
            else None,
            pnl_pct=_number(self.pnl_pct[i]),
            r_multiple=_number(self.r_multiple[i]),
            is_ambiguous=progress.is_ambiguous,
            rule=self.rule,
            mfe_pct=_number(self.mfe_pct[i]),
            mae_pct=_number(self.mae_pct[i]),
            horizon_mfe_pct=_number(self.horizon_mfe_pct[i]),
            horizon_mae_pct=_number(self.horizon_mae_pct[i]),
            horizon_complete=progress.horizon_complete,
            gaps=progress.gaps,
            progress=progress,
        )

    def outcomes(self) -> list[Outcome]:
        return [self.outcome(i) for i in range(len(self))]


_DERIVED = (
    "pnl_pct",
    "r_multiple",
    "mfe_pct",
    "mae_pct",
    "horizon_mfe_pct",
    "horizon_mae_pct",
)
_ARRAYS = tuple(f.name for f in fields(OutcomeBatch) if f.name not in ("signals", "rule"))


def _time(value: Any) -> int | None:
    return None if int(value) == NO_TIME else int(value)


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number
