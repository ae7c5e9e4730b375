"""The store's counts of given rows, summed in numpy as `grouped_counts` sums them in SQL:
the inputs of the counts paths (`advise_counts`, `compare_counts`) in core tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from sigtrack.core.advice import Advice, AdviceCounts
from sigtrack.core.breakdowns import CONFIDENCE_BAND, NONE, confidence_band
from sigtrack.core.performance import OPEN, RESULT_CODES, OutcomeColumns, SignalFrame
from sigtrack.core.signals import Result
from sigtrack.core.stats import ResultCounts


def counts_of(columns: OutcomeColumns, rows: npt.NDArray[np.bool_] | None = None) -> ResultCounts:
    """Counts and sums of the chosen rows (all when None), as one SQL group gives them."""
    rows = np.ones(len(columns), dtype=bool) if rows is None else rows
    result = columns.result
    closed = rows & (result >= 0) & (result != RESULT_CODES[Result.CANCELLED])
    pnl = columns.pnl_pct[closed & ~np.isnan(columns.pnl_pct)]
    r = columns.r_multiple[closed & ~np.isnan(columns.r_multiple)]
    by_result = {name: int(np.sum(rows & (result == code))) for name, code in RESULT_CODES.items()}
    return ResultCounts(
        open=int(np.sum(rows & (result == OPEN))),
        by_result={name: n for name, n in by_result.items() if n},
        pnl_sum_pct=float(np.sum(pnl)),
        pnl_count=len(pnl),
        pnl_sq=float(np.sum(pnl * pnl)),
        r_sum=float(np.sum(r)),
        r_count=len(r),
        r_sq=float(np.sum(r * r)),
    )


def advice_counts(frame: SignalFrame) -> AdviceCounts:
    """The counts per symbol, timeframe, tag and confidence band of a frame."""
    o = frame.outcomes
    tags = sorted({tag for signal_tags in frame.tags for tag in signal_tags})
    tag_rows = {tag: np.array([tag in t for t in frame.tags], dtype=bool) for tag in tags}
    untagged = np.array([not t for t in frame.tags], dtype=bool)
    if untagged.any():
        tag_rows[NONE] = untagged
    bands = np.array(
        [
            NONE if np.isnan(c) else confidence_band(int(c // CONFIDENCE_BAND * CONFIDENCE_BAND))
            for c in frame.confidence
        ]
    )
    return AdviceCounts(
        symbol={str(s): counts_of(o, frame.symbol == s) for s in np.unique(frame.symbol)},
        timeframe={str(t): counts_of(o, frame.timeframe == t) for t in np.unique(frame.timeframe)},
        tag={tag: counts_of(o, rows) for tag, rows in tag_rows.items()},
        confidence={str(b): counts_of(o, bands == b) for b in np.unique(bands)},
    )


def near(value: object) -> object:
    """Equal to 1e-9 relative (sums in another order), or both None."""
    return value if value is None else pytest.approx(value, rel=1e-9, abs=1e-12)


def assert_same_advice(got: Advice, want: Advice) -> None:
    assert (got.metric, got.n, got.min_n) == (want.metric, want.n, want.min_n)
    assert [(r.threshold, r.n, r.wins, r.losses) for r in got.sweep] == [
        (r.threshold, r.n, r.wins, r.losses) for r in want.sweep
    ]
    for g, w in zip(got.sweep, want.sweep, strict=True):
        assert g.winrate == near(w.winrate)
        assert g.expectancy == near(w.expectancy)
    assert [(i.kind, i.subject) for i in got.items] == [(i.kind, i.subject) for i in want.items]
    for g_item, w_item in zip(got.items, want.items, strict=True):
        assert g_item.evidence.keys() == w_item.evidence.keys()
        for name, value in w_item.evidence.items():
            if isinstance(value, float):
                assert g_item.evidence[name] == near(value), name
            else:
                assert g_item.evidence[name] == value, name
