"""Advice from the record (DESIGN §4), each item with the numbers behind it.

- a confidence-threshold sweep: n, winrate and expectancy of the signals with
  confidence ≥ t, and the threshold that would have maximised expectancy while keeping
  enough signals;
- coins, timeframes and tags whose expectancy is credibly negative (the whole 95 %
  interval below zero): candidates to exclude.
Expectancy is the mean R when enough signals were settled from candles, else the mean
PnL %; the item says which. Nothing is advised on fewer than `min_n` signals in all, and
no group is judged on fewer than `group_min_n`.

Everything is computed from sufficient statistics per group (`AdviceCounts`: the
store's sums of a window, or `frame_counts` of rows), in one path (`advise_counts`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from sigtrack.core.breakdowns import CONFIDENCE_BAND, NONE, BreakdownKey, confidence_band
from sigtrack.core.errors import InvalidInput
from sigtrack.core.performance import OutcomeColumns, SignalFrame, result_counts
from sigtrack.core.stats import Z_95, ResultCounts, spread_of, summarize_counts

DEFAULT_MIN_N = 30  # signals with a value of the metric, in all, before anything is advised
# A group is judged from this many values (the breakdowns' minimum). Its interval then
# decides, with a spread never below the record's until the group has NORMAL_FROM values:
# five identical losses have no spread of their own, but are as uncertain as any five.
GROUP_MIN_N = 5
THRESHOLD_STEP = 5
NORMAL_FROM = 200  # from this many values a group's interval uses its own spread alone

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
    group_min_n: int
    sweep: tuple[ThresholdRow, ...]
    items: tuple[AdviceItem, ...]


def advise(
    frame: SignalFrame, *, min_n: int = DEFAULT_MIN_N, group_min_n: int = GROUP_MIN_N
) -> Advice:
    """The advice of a frame's rows: their sums per group, then `advise_counts`."""
    return advise_counts(frame_counts(frame), min_n=min_n, group_min_n=group_min_n)


def mean_interval(
    n: int, total: float, squares: float, *, floor: float = 0.0
) -> tuple[float, float]:
    """95 % normal interval of a mean from n, sum and sum of squares, its spread taken as
    at least `floor` (a small group borrows the record's spread); needs n ≥ 1."""
    spread = spread_of(n, total, squares) if n >= 2 else 0.0
    half = Z_95 * max(spread, floor) / math.sqrt(n)
    centre = total / n
    return centre - half, centre + half


def _choose_metric(with_r: int, with_pnl: int, min_n: int) -> Metric:
    # R when most closed signals have one (settled from candles); else PnL % for all
    return Metric.R if with_r >= min_n and 2 * with_r >= with_pnl else Metric.PNL


def _not_enough(metric: Metric, n: int, min_n: int, group_min_n: int) -> Advice:
    item = AdviceItem(
        kind=AdviceKind.NOT_ENOUGH,
        subject="all",
        evidence={"n": n, "needed": min_n, "metric": metric.value},
        message="advice.not_enough_data",
    )
    return Advice(metric=metric, n=n, min_n=min_n, group_min_n=group_min_n, sweep=(),
                  items=(item,))  # fmt: skip


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


# --- the groups -----------------------------------------------------------------------

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

    def metric(self, min_n: int) -> tuple[Metric, ResultCounts]:
        """The metric to advise on, and the sums of the whole record (each signal once)."""
        total = sum(self.symbol.values(), ResultCounts(by_result={}))
        return _choose_metric(total.r_count, total.pnl_count, min_n), total


def frame_counts(frame: SignalFrame) -> AdviceCounts:
    """The sums per symbol, timeframe, tag and confidence band of a frame's rows, as the
    store's `grouped_counts` gives them (untagged signals, and signals without a
    confidence, under NONE)."""
    o = frame.outcomes
    tagged = [(tag, i) for i, tags in enumerate(frame.tags) for tag in dict.fromkeys(tags)]
    untagged = [i for i, tags in enumerate(frame.tags) if not tags]
    tag_rows: dict[str, list[int]] = {NONE: untagged} if untagged else {}
    for tag, i in tagged:
        tag_rows.setdefault(tag, []).append(i)
    by_tag = tag_rows.items()
    rated = ~np.isnan(frame.confidence)
    steps = np.floor(np.nan_to_num(frame.confidence) / CONFIDENCE_BAND).astype(np.int64)
    band = np.where(rated, steps, -1)
    lows = np.unique(band)
    labels = np.array([NONE if low < 0 else confidence_band(int(low) * CONFIDENCE_BAND)
                       for low in lows])  # fmt: skip
    return AdviceCounts(
        symbol=_by_value(o, frame.symbol),
        timeframe=_by_value(o, frame.timeframe),
        tag={name: result_counts(o, np.array(rows, dtype=np.intp)) for name, rows in by_tag},
        confidence=_by_value(o, labels[np.searchsorted(lows, band)]),
    )


def _by_value(columns: OutcomeColumns, keys: npt.NDArray[np.str_]) -> dict[str, ResultCounts]:
    """Sums of the rows of each distinct key (one sort, not one scan per key)."""
    names, inverse = np.unique(keys, return_inverse=True)
    if not len(names):
        return {}
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(names)))[:-1]
    return {str(name): result_counts(columns, rows)
            for name, rows in zip(names, np.split(order, bounds), strict=True)}  # fmt: skip


def advise_counts(
    counts: AdviceCounts, *, min_n: int = DEFAULT_MIN_N, group_min_n: int = GROUP_MIN_N
) -> Advice:
    """The advice from the sums per group of one window (`AdviceCounts`)."""
    for name, value in (("min_n", min_n), ("group_min_n", group_min_n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(name, f"must be a whole number >= 1 (got {value!r})")
    metric, record = counts.metric(min_n)
    n, total, squares = _moments(record, metric)
    if n < min_n:
        return _not_enough(metric, n, min_n, group_min_n)
    floor = spread_of(n, total, squares) if n >= 2 else 0.0
    sweep = confidence_sweep(counts.confidence, metric)
    items = [*_threshold_item(sweep, min_n, metric)]
    for key in ADVISED:
        for name, group in sorted(counts.of(key).items()):
            size, group_total, group_squares = _moments(group, metric)
            if not _is_group(key, name) or size < group_min_n:
                continue
            low, high = mean_interval(size, group_total, group_squares,
                                      floor=0.0 if size >= NORMAL_FROM else floor)  # fmt: skip
            if high < 0:
                expectancy = group_total / size
                items.append(_exclude(key.value, name, metric, size, expectancy, low, high))
    return Advice(metric=metric, n=n, min_n=min_n, group_min_n=group_min_n, sweep=sweep,
                  items=tuple(items))  # fmt: skip


def confidence_sweep(bands: Mapping[str, ResultCounts], metric: Metric) -> tuple[ThresholdRow, ...]:
    """For every threshold t (steps of 5), the signals with confidence ≥ t, from the sums
    per confidence band (a band's low end is a threshold: the bands from t up). n and the
    expectancy are over those with a value of the metric; the winrate, as everywhere, over
    all their WIN and LOSS (a signal closed by hand has a PnL but no R)."""
    by_low = sorted((_band_start(label), group) for label, group in bands.items() if label != NONE)
    valued = [low for low, group in by_low if _moments(group, metric)[0]]
    if not valued:
        return ()
    rows = []
    for t in range(min(valued), 100, THRESHOLD_STEP):
        chosen = sum((group for low, group in by_low if low >= t), ResultCounts(by_result={}))
        n, total, _ = _moments(chosen, metric)
        if not n:
            break
        summary = summarize_counts(chosen)
        rows.append(
            ThresholdRow(
                threshold=t,
                n=n,
                wins=summary.wins,
                losses=summary.losses,
                winrate=summary.winrate,
                expectancy=total / n,
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
