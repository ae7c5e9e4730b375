"""Advice from the record (DESIGN §4), each item with the numbers behind it.

- a confidence-threshold sweep: n, winrate and expectancy of the signals with
  confidence ≥ t, and the threshold that would have maximised expectancy while keeping
  enough signals;
- coins, timeframes and tags whose expectancy is credibly negative (the whole 95 %
  interval below zero): candidates to exclude.
Expectancy is the mean R when enough signals were settled from candles, else the mean
PnL %; the item says which. Nothing is advised on fewer than `min_n` signals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from sigtrack.core.performance import RESULT_CODES, SignalFrame
from sigtrack.core.signals import Result

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

DEFAULT_MIN_N = 30
THRESHOLD_STEP = 5
BOOTSTRAP_DRAWS = 2_000
NORMAL_FROM = 200  # from this many values the mean's interval uses the normal approximation
Z_95 = 1.959963984540054
SEED = 20261124

Evidence = Mapping[str, float | int | str | None]


class AdviceKind(StrEnum):
    CONFIDENCE_THRESHOLD = "confidence_threshold"
    EXCLUDE = "exclude"
    WHATIF = "tp_sl_whatif"
    NOT_ENOUGH = "not_enough_data"


class Metric(StrEnum):
    R = "r"  # mean R multiple
    PNL = "pnl_pct"  # mean PnL %


@dataclass(frozen=True, slots=True, kw_only=True)
class AdviceItem:
    kind: AdviceKind
    subject: str  # "confidence", "symbol=DOGEUSDT", "tag=pump", …
    evidence: Evidence
    message: str  # key of the recommendation text in core.texts ("advice.<kind>")


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdRow:
    threshold: int
    n: int
    wins: int
    losses: int
    winrate: float | None
    expectancy: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Advice:
    metric: Metric
    n: int  # closed signals with a value of the metric
    min_n: int
    sweep: tuple[ThresholdRow, ...]
    items: tuple[AdviceItem, ...]


def advise(frame: SignalFrame, *, min_n: int = DEFAULT_MIN_N, seed: int = SEED) -> Advice:
    metric, values = _metric(frame, min_n)
    usable = ~np.isnan(values)
    n = int(np.sum(usable))
    if n < min_n:
        item = AdviceItem(
            kind=AdviceKind.NOT_ENOUGH,
            subject="all",
            evidence={"n": n, "needed": min_n, "metric": metric.value},
            message="advice.not_enough_data",
        )
        return Advice(metric=metric, n=n, min_n=min_n, sweep=(), items=(item,))
    rng = np.random.default_rng(seed)
    sweep = confidence_sweep(frame, values, min_n)
    items = [*_threshold_item(sweep, min_n, metric)]
    for key in ("symbol", "timeframe", "tag"):
        items += _negative_groups(frame, values, key, min_n, metric, rng)
    return Advice(metric=metric, n=n, min_n=min_n, sweep=sweep, items=tuple(items))


def confidence_sweep(frame: SignalFrame, values: F64, min_n: int) -> tuple[ThresholdRow, ...]:
    """For every threshold t (steps of 5): the signals with confidence ≥ t."""
    confidence = frame.confidence
    known = ~np.isnan(confidence) & ~np.isnan(values)
    if not known.any():
        return ()
    result = frame.outcomes.result
    lowest = int(np.min(confidence[known]) // THRESHOLD_STEP * THRESHOLD_STEP)
    rows = []
    for t in range(lowest, 100, THRESHOLD_STEP):
        chosen = known & (confidence >= t)
        n = int(np.sum(chosen))
        if not n:
            break
        wins = int(np.sum(chosen & (result == RESULT_CODES[Result.WIN])))
        losses = int(np.sum(chosen & (result == RESULT_CODES[Result.LOSS])))
        rows.append(
            ThresholdRow(
                threshold=t,
                n=n,
                wins=wins,
                losses=losses,
                winrate=wins / (wins + losses) if wins + losses else None,
                expectancy=float(np.mean(values[chosen])),
            )
        )
    return tuple(rows)


def mean_interval(values: F64, rng: np.random.Generator) -> tuple[float, float]:
    """95 % interval of the mean: bootstrap for small samples, normal beyond."""
    if len(values) >= NORMAL_FROM:
        half = Z_95 * float(np.std(values, ddof=1)) / np.sqrt(len(values))
        centre = float(np.mean(values))
        return centre - half, centre + half
    means = values[rng.integers(0, len(values), (BOOTSTRAP_DRAWS, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _metric(frame: SignalFrame, min_n: int) -> tuple[Metric, F64]:
    o = frame.outcomes
    closed = (o.result >= 0) & (o.result != RESULT_CODES[Result.CANCELLED])
    r = np.where(closed, o.r_multiple, np.nan)
    pnl = np.where(closed, o.pnl_pct, np.nan)
    with_r, with_pnl = int(np.sum(~np.isnan(r))), int(np.sum(~np.isnan(pnl)))
    # R when most closed signals have one (settled from candles); else PnL % for all
    if with_r >= min_n and 2 * with_r >= with_pnl:
        return Metric.R, r
    return Metric.PNL, pnl


def _threshold_item(
    sweep: tuple[ThresholdRow, ...], min_n: int, metric: Metric
) -> list[AdviceItem]:
    enough = [row for row in sweep if row.n >= min_n and row.expectancy is not None]
    if len(enough) < 2:
        return []
    base = enough[0]
    best = max(enough, key=lambda row: row.expectancy)  # type: ignore[arg-type,return-value]
    if best.threshold == base.threshold:
        return []
    return [
        AdviceItem(
            kind=AdviceKind.CONFIDENCE_THRESHOLD,
            subject="confidence",
            evidence={
                "metric": metric.value,
                "threshold": best.threshold,
                "n": best.n,
                "winrate_pct": None if best.winrate is None else best.winrate * 100,
                "expectancy": best.expectancy,
                "baseline_threshold": base.threshold,
                "baseline_n": base.n,
                "baseline_expectancy": base.expectancy,
            },
            message="advice.confidence_threshold",
        )
    ]


def _negative_groups(
    frame: SignalFrame,
    values: F64,
    key: str,
    min_n: int,
    metric: Metric,
    rng: np.random.Generator,
) -> list[AdviceItem]:
    usable = ~np.isnan(values)
    if key == "tag":
        pairs = [(tag, i) for i, tags in enumerate(frame.tags) if usable[i] for tag in tags]
        groups: dict[str, list[int]] = {}
        for tag, i in pairs:
            groups.setdefault(tag, []).append(i)
        members = {k: np.array(v) for k, v in groups.items()}
    else:
        column = getattr(frame, key)
        members = {str(k): np.flatnonzero(usable & (column == k)) for k in np.unique(column)}
    items = []
    for name, rows in sorted(members.items()):
        if len(rows) < min_n:
            continue
        chosen = values[rows]
        low, high = mean_interval(chosen, rng)
        if high < 0:
            items.append(
                AdviceItem(
                    kind=AdviceKind.EXCLUDE,
                    subject=f"{key}={name}",
                    evidence={
                        "metric": metric.value,
                        "n": len(rows),
                        "expectancy": float(np.mean(chosen)),
                        "interval_low": low,
                        "interval_high": high,
                    },
                    message="advice.exclude",
                )
            )
    return items
