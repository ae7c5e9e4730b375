"""Settling a signal from candles (DESIGN §3): the scalar reference engine.

`settle_one` reads candle by candle and is written to be checked by eye against the
rules; `settle_many` (re-exported from `batch_resolution`) is the fast engine, and a
property test holds the two to the same answer on every field.
"""

from __future__ import annotations

from dataclasses import replace

from sigtrack.core.candles import Candles
from sigtrack.core.outcomes import CloseKind, Leg, Outcome, Progress, SignalPlan, make_outcome
from sigtrack.core.policy import DEFAULT_POLICY, ResolutionPolicy, SameCandle
from sigtrack.core.signals import Signal


def settle_one(
    signal: Signal,
    candles: Candles,
    policy: ResolutionPolicy = DEFAULT_POLICY,
    *,
    since: Outcome | None = None,
) -> Outcome:
    """The outcome of `signal` after reading `candles` (resuming from `since` if given).

    `candles` are final candles of the signal's symbol; the data is taken to be complete
    up to the close of the last one, so a missing candle before it is a gap and a signal
    whose life reaches past it stays open.
    """
    plan = SignalPlan.of(signal, policy)
    progress = since.progress if since else plan.start(candles)
    legs = since.legs if since else plan.fresh_legs()
    if progress.close_kind is CloseKind.OPEN:
        walk = _LifeWalk(plan, policy, progress, list(legs))
        walk.read(candles)
        progress, legs = walk.progress(), tuple(walk.legs)
    progress = _read_horizon(plan, candles, progress)
    return make_outcome(plan, policy, progress, legs)


class _LifeWalk:
    """Candle-by-candle reading of a signal's life, from a saved progress."""

    def __init__(
        self, plan: SignalPlan, policy: ResolutionPolicy, progress: Progress, legs: list[Leg]
    ) -> None:
        self.plan = plan
        self.policy = policy
        self.legs = legs
        self.p = progress
        self.kind = progress.close_kind
        self.k = progress.legs_done
        self.stop = progress.stop
        self.next_ms = progress.next_ms
        self.fav_max = progress.fav_max
        self.adv_max = progress.adv_max
        self.last_close = progress.last_close
        self.gaps = progress.gaps
        self.ambiguous = progress.is_ambiguous

    def read(self, candles: Candles) -> None:
        step, plan = candles.step_ms, self.plan
        s = plan.sign
        times = candles.open_time_ms
        i = candles.index_at_or_after(self.next_ms)
        while i < len(candles) and int(times[i]) < plan.expires_ms:
            t = int(times[i])
            self.gaps += max(0, (t - self.next_ms) // step)
            self.next_ms = t + step
            high, low = float(candles.high[i]), float(candles.low[i])
            hi_s, lo_s = (high, low) if s > 0 else (-low, -high)
            self.fav_max = hi_s if self.fav_max is None else max(self.fav_max, hi_s)
            self.adv_max = -lo_s if self.adv_max is None else max(self.adv_max, -lo_s)
            self.last_close = float(candles.close[i])
            self._on_candle(t, float(candles.open[i]), hi_s, lo_s)
            if self.kind is not CloseKind.OPEN:
                return
            i += 1
        end_ms = candles.end_ms
        if end_ms is not None and end_ms >= plan.expires_ms:
            slots = max(0, -(-(plan.expires_ms - self.next_ms) // step))
            self.gaps += slots
            self.next_ms += slots * step
            self._close(CloseKind.EXPIRY, plan.expires_ms, self.last_close)

    def _on_candle(self, t: int, open_: float, hi_s: float, lo_s: float) -> None:
        s = self.plan.sign
        o_s = s * open_
        target = s * self.plan.targets[self.k]
        stop = s * self.stop
        if o_s <= stop:  # opened beyond the stop: it fills at the open
            self._close(CloseKind.STOP, t, open_)
            return
        if o_s >= target:  # opened beyond the target: reached first, fills at its level
            self._hit_targets(t, hi_s)
            return
        reaches_target, reaches_stop = hi_s >= target, lo_s <= stop
        if reaches_target and reaches_stop:
            self.ambiguous = True
            reaches_stop = not _target_first(self.policy.same_candle, o_s, target, stop)
            reaches_target = not reaches_stop
        if reaches_target:
            self._hit_targets(t, hi_s)
        elif reaches_stop:
            self._close(CloseKind.STOP, t, self.stop)

    def _hit_targets(self, t: int, hi_s: float) -> None:
        """Target k is reached in this candle; so are the next ones its high reaches."""
        plan = self.plan
        while self.k < len(plan.targets) and hi_s >= plan.sign * plan.targets[self.k]:
            leg = self.legs[self.k]
            self.legs[self.k] = replace(leg, hit_ms=t, exit_ms=t, exit_price=leg.target)
            self.k += 1
        if self.k == len(plan.targets):
            self.kind = CloseKind.TARGET
        elif self.policy.move_stop_to_entry:
            self.stop = plan.entry

    def _close(self, kind: CloseKind, t: int, price: float | None) -> None:
        for j in range(self.k, len(self.legs)):
            self.legs[j] = replace(self.legs[j], exit_ms=t, exit_price=price)
        self.kind = kind

    def progress(self) -> Progress:
        return replace(
            self.p,
            legs_done=self.k,
            close_kind=self.kind,
            stop=self.stop,
            next_ms=self.next_ms,
            fav_max=self.fav_max,
            adv_max=self.adv_max,
            last_close=self.last_close,
            gaps=self.gaps,
            is_ambiguous=self.ambiguous,
        )


def _target_first(rule: SameCandle, o_s: float, target: float, stop: float) -> bool:
    if rule is SameCandle.TP_FIRST:
        return True
    if rule is SameCandle.NEAREST_TO_OPEN:
        return target - o_s < o_s - stop
    return False


def _read_horizon(plan: SignalPlan, candles: Candles, progress: Progress) -> Progress:
    """Best and worst excursion over the fixed horizon, whatever the exit."""
    if progress.horizon_complete:
        return progress
    s = plan.sign
    fav, adv, next_ms = progress.horizon_fav_max, progress.horizon_adv_max, progress.horizon_next_ms
    i = candles.index_at_or_after(next_ms)
    while i < len(candles) and int(candles.open_time_ms[i]) < plan.horizon_end_ms:
        high, low = float(candles.high[i]), float(candles.low[i])
        hi_s, lo_s = (high, low) if s > 0 else (-low, -high)
        fav = hi_s if fav is None else max(fav, hi_s)
        adv = -lo_s if adv is None else max(adv, -lo_s)
        next_ms = int(candles.open_time_ms[i]) + candles.step_ms
        i += 1
    end_ms = candles.end_ms
    return replace(
        progress,
        horizon_fav_max=fav,
        horizon_adv_max=adv,
        horizon_next_ms=next_ms,
        horizon_complete=end_ms is not None and end_ms >= plan.horizon_end_ms,
    )


from sigtrack.core.batch_resolution import CandleIndex, settle_many  # noqa: E402

__all__ = ["CandleIndex", "settle_many", "settle_one"]
