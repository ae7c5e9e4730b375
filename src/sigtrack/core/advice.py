"""Advice from the record (DESIGN §4), each item with the numbers behind it.

- a confidence-threshold sweep: n, winrate and expectancy of the signals with
  confidence ≥ t, and the threshold that would have maximised expectancy while keeping
  enough signals;
- coins, timeframes and tags whose expectancy is credibly negative (the whole 95 %
  interval below zero): candidates to exclude.
Expectancy is the mean R when enough signals were settled from candles, else the mean
PnL %; the item says which. Nothing is advised on fewer than `min_n` signals.

`advise` reads the signals' rows; `advise_counts` gives the same advice from the store's
sums per symbol, timeframe, tag and confidence band (a long window), reading rows only
for the groups whose interval is bootstrapped (`sampled_groups`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from sigtrack.core.breakdowns import NONE, BreakdownKey
from sigtrack.core.performance import RESULT_CODES, SignalFrame
from sigtrack.core.signals import Result
from sigtrack.core.stats import ResultCounts

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
    n: int  # signals with a value of the metric (the expectancy is over these)
    wins: int  # all WIN and LOSS with confidence ≥ threshold, with a value or not
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
        return _not_enough(metric, n, min_n)
    rng = np.random.default_rng(seed)
    sweep = confidence_sweep(frame, values, min_n)
    items = [*_threshold_item(sweep, min_n, metric)]
    for key in ("symbol", "timeframe", "tag"):
        items += _negative_groups(frame, values, key, min_n, metric, rng)
    return Advice(metric=metric, n=n, min_n=min_n, sweep=sweep, items=tuple(items))


def confidence_sweep(frame: SignalFrame, values: F64, min_n: int) -> tuple[ThresholdRow, ...]:
    """For every threshold t (steps of 5): the signals with confidence ≥ t.

    n and the expectancy are over those with a value of the metric; the winrate, as
    everywhere, over all their WIN and LOSS (a signal closed by hand has a PnL but no R).
    """
    confidence = frame.confidence
    rated = ~np.isnan(confidence)
    known = rated & ~np.isnan(values)
    if not known.any():
        return ()
    result = frame.outcomes.result
    won, lost = result == RESULT_CODES[Result.WIN], result == RESULT_CODES[Result.LOSS]
    lowest = _band_low(float(np.min(confidence[known])))
    rows = []
    for t in range(lowest, 100, THRESHOLD_STEP):
        chosen = known & (confidence >= t)
        n = int(np.sum(chosen))
        if not n:
            break
        above = rated & (confidence >= t)
        wins, losses = int(np.sum(above & won)), int(np.sum(above & lost))
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


def _band_low(confidence: float) -> int:
    """The threshold of the band holding `confidence` (100 is in the top band, 95–100)."""
    return min(int(confidence // THRESHOLD_STEP * THRESHOLD_STEP), 100 - THRESHOLD_STEP)


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
    metric = _choose_metric(int(np.sum(~np.isnan(r))), int(np.sum(~np.isnan(pnl))), min_n)
    return metric, r if metric is Metric.R else pnl


def _choose_metric(with_r: int, with_pnl: int, min_n: int) -> Metric:
    # R when most closed signals have one (settled from candles); else PnL % for all
    return Metric.R if with_r >= min_n and 2 * with_r >= with_pnl else Metric.PNL


def _not_enough(metric: Metric, n: int, min_n: int) -> Advice:
    item = AdviceItem(
        kind=AdviceKind.NOT_ENOUGH,
        subject="all",
        evidence={"n": n, "needed": min_n, "metric": metric.value},
        message="advice.not_enough_data",
    )
    return Advice(metric=metric, n=n, min_n=min_n, sweep=(), items=(item,))


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
        pairs = [
            (tag, i)
            for i, tags in enumerate(frame.tags)
            if usable[i]
            for tag in dict.fromkeys(tags)
        ]
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
            items.append(_exclude(key, name, metric, len(rows), float(np.mean(chosen)), low, high))
    return items


def _exclude(
    key: str, name: str, metric: Metric, n: int, expectancy: float, low: float, high: float
) -> AdviceItem:
    return AdviceItem(
        kind=AdviceKind.EXCLUDE,
        subject=f"{key}={name}",
        evidence={
            "metric": metric.value,
            "n": n,
            "expectancy": expectancy,
            "interval_low": low,
            "interval_high": high,
        },
        message="advice.exclude",
    )


# --- the same advice from the store's counts ------------------------------------------

ADVISED = (BreakdownKey.SYMBOL, BreakdownKey.TIMEFRAME, BreakdownKey.TAG)  # in `advise`'s order


@dataclass(frozen=True, slots=True, kw_only=True)
class AdviceCounts:
    """The store's counts of one window that the advice reads (`grouped_counts`)."""

    symbol: Mapping[str, ResultCounts]
    timeframe: Mapping[str, ResultCounts]
    tag: Mapping[str, ResultCounts]  # untagged signals under NONE: not a tag, never advised
    confidence: Mapping[str, ResultCounts]  # per band ("75–79"); NONE: without a confidence

    def of(self, key: BreakdownKey) -> Mapping[str, ResultCounts]:
        groups: Mapping[str, ResultCounts] = getattr(self, key.value)
        return groups

    def metric(self, min_n: int) -> tuple[Metric, int]:
        """The metric `advise` would choose, and how many signals have a value of it."""
        total = sum(self.symbol.values(), ResultCounts(by_result={}))  # each signal once
        metric = _choose_metric(total.r_count, total.pnl_count, min_n)
        return metric, _moments(total, metric)[0]


def sampled_groups(counts: AdviceCounts, min_n: int) -> tuple[tuple[BreakdownKey, str], ...]:
    """The groups whose interval `advise` bootstraps (min_n ≤ n < NORMAL_FROM): their
    signals must be read and given to `advise_counts`."""
    metric, n = counts.metric(min_n)
    if n < min_n:
        return ()
    return tuple(
        (key, name)
        for key in ADVISED
        for name, group in sorted(counts.of(key).items())
        if _is_group(key, name) and min_n <= _moments(group, metric)[0] < NORMAL_FROM
    )


def advise_counts(
    counts: AdviceCounts,
    samples: SignalFrame | None = None,
    *,
    min_n: int = DEFAULT_MIN_N,
    seed: int = SEED,
) -> Advice:
    """`advise` of the same signals from their counts: the same items, evidence (to
    rounding) and sweep. Intervals from NORMAL_FROM values are normal from n, sum and sum
    of squares; the smaller groups' are bootstrapped, with the same seeded draws, from
    `samples`: the signals of the `sampled_groups` (at least), in the store's order."""
    metric, n = counts.metric(min_n)
    if n < min_n:
        return _not_enough(metric, n, min_n)
    rng = np.random.default_rng(seed)
    sweep = _counted_sweep(counts.confidence, metric)
    items = [*_threshold_item(sweep, min_n, metric)]
    values = None if samples is None else _metric_values(samples, metric)
    for key in ADVISED:
        for name, group in sorted(counts.of(key).items()):
            size, total, squares = _moments(group, metric)
            if not _is_group(key, name) or size < min_n:
                continue
            if size >= NORMAL_FROM:
                expectancy = total / size
                spread = math.sqrt(max(0.0, (squares - total * expectancy) / (size - 1)))
                half = Z_95 * spread / math.sqrt(size)
                low, high = expectancy - half, expectancy + half
            else:
                if samples is None or values is None:
                    raise ValueError(f"{key.value}={name} is bootstrapped: give its signals")
                chosen = values[_members(samples, values, key, name)]
                size, expectancy = len(chosen), float(np.mean(chosen))
                low, high = mean_interval(chosen, rng)
            if high < 0:
                items.append(_exclude(key.value, name, metric, size, expectancy, low, high))
    return Advice(metric=metric, n=n, min_n=min_n, sweep=sweep, items=tuple(items))


def _counted_sweep(bands: Mapping[str, ResultCounts], metric: Metric) -> tuple[ThresholdRow, ...]:
    """`confidence_sweep` from the counts per confidence band (a band's low end is a
    threshold: confidence ≥ t is the bands from t up)."""
    by_low = sorted((_band_start(label), group) for label, group in bands.items() if label != NONE)
    valued = [low for low, group in by_low if _moments(group, metric)[0]]
    if not valued:
        return ()
    rows = []
    for t in range(min(valued), 100, THRESHOLD_STEP):
        chosen = [group for low, group in by_low if low >= t]
        n = sum(_moments(group, metric)[0] for group in chosen)
        if not n:
            break
        wins = sum(group.by_result.get(Result.WIN, 0) for group in chosen)
        losses = sum(group.by_result.get(Result.LOSS, 0) for group in chosen)
        rows.append(
            ThresholdRow(
                threshold=t,
                n=n,
                wins=wins,
                losses=losses,
                winrate=wins / (wins + losses) if wins + losses else None,
                expectancy=sum(_moments(group, metric)[1] for group in chosen) / n,
            )
        )
    return tuple(rows)


def _band_start(label: str) -> int:
    """ "75–79" → 75 (the labels of `breakdowns.confidence_band`)."""
    return int(label.partition("–")[0])


def _moments(counts: ResultCounts, metric: Metric) -> tuple[int, float, float]:
    """n, sum and sum of squares of the metric's values."""
    if metric is Metric.R:
        return counts.r_count, counts.r_sum, counts.r_sq
    return counts.pnl_count, counts.pnl_sum_pct, counts.pnl_sq


def _is_group(key: BreakdownKey, name: str) -> bool:
    """Untagged signals share no tag: `advise` forms no group of them."""
    return not (key is BreakdownKey.TAG and name == NONE)


def _metric_values(frame: SignalFrame, metric: Metric) -> F64:
    o = frame.outcomes
    closed = (o.result >= 0) & (o.result != RESULT_CODES[Result.CANCELLED])
    values: F64 = np.where(closed, o.r_multiple if metric is Metric.R else o.pnl_pct, np.nan)
    return values


def _members(frame: SignalFrame, values: F64, key: BreakdownKey, name: str) -> npt.NDArray[np.intp]:
    """Rows of `frame` in the group with a value, in the frame's order (as `advise` draws)."""
    usable = ~np.isnan(values)
    if key is BreakdownKey.TAG:
        return np.array([i for i, tags in enumerate(frame.tags) if usable[i] and name in tags],
                        dtype=np.intp)  # fmt: skip
    return np.flatnonzero(usable & (getattr(frame, key.value) == name))
