"""The performance summary of DESIGN §4 over outcome columns (numpy, no loop over rows).

Every number is None where it does not exist (nothing to count, no losses for a profit
factor …), never a 0 that would read as a measured zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from sigtrack.core.errors import InvalidInput
from sigtrack.core.signals import Result
from sigtrack.core.stats import CountSummary, PnlSplit, ResultCounts, summarize_counts

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

OPEN = -1
RESULT_CODES = {
    Result.WIN: 0,
    Result.LOSS: 1,
    Result.EXPIRED: 2,
    Result.BREAKEVEN: 3,
    Result.CANCELLED: 4,
}
NO_TIME = np.iinfo(np.int64).min
MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OutcomeColumns:
    """One row per signal, in the order they closed (for drawdown and streaks)."""

    result: I64  # RESULT_CODES, OPEN (−1) for an open signal
    pnl_pct: F64  # NaN where there is none
    r_multiple: F64
    created_ms: I64
    closed_ms: I64  # NO_TIME while open
    tp1_hit_ms: I64  # NO_TIME: not reached or not known
    stop_ms: I64  # when the stop closed it (NO_TIME otherwise)
    targets_hit: I64  # targets reached; −1 when not settled from candles
    n_targets: I64
    mfe_pct: F64
    mae_pct: F64
    ambiguous: B

    def __post_init__(self) -> None:
        sizes = {f.name: len(getattr(self, f.name)) for f in fields(self)}
        if len(set(sizes.values())) > 1:
            raise InvalidInput("columns", f"must all have the same length (got {sizes})")

    def __len__(self) -> int:
        return len(self.result)

    def take(self, mask: B | I64) -> OutcomeColumns:
        return OutcomeColumns(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SignalFrame:
    """Outcome columns with what each signal was (for advice and reports)."""

    outcomes: OutcomeColumns
    symbol: npt.NDArray[np.str_]
    timeframe: npt.NDArray[np.str_]
    side: npt.NDArray[np.str_]
    strategy: npt.NDArray[np.str_]
    confidence: F64  # NaN when the signal had none
    tags: tuple[tuple[str, ...], ...]
    entry: F64
    stop: F64

    def __len__(self) -> int:
        return len(self.outcomes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Performance(CountSummary):
    """Counts and numbers of a set of signals (DESIGN §4): the `CountSummary` of its
    sufficient statistics, extended by what only rows give."""

    median_pnl_pct: float | None
    max_drawdown_pct: float | None  # of the cumulative PnL, one unit per signal
    longest_losing_streak: int
    target_hit_rates: tuple[float | None, ...]  # per target, over signals settled from candles
    median_minutes_to_tp1: float | None
    median_minutes_to_sl: float | None
    mean_mfe_pct: float | None
    mean_mae_pct: float | None
    ambiguous: int


def closed_mask(columns: OutcomeColumns) -> B:
    """Closed signals that count (cancelled ones are shown apart)."""
    result = columns.result
    closed: B = (result >= 0) & (result != RESULT_CODES[Result.CANCELLED])
    return closed


def result_counts(
    columns: OutcomeColumns, rows: B | npt.NDArray[np.intp] | None = None
) -> ResultCounts:
    """The sufficient statistics of the chosen rows (a mask or indices; all when None),
    summed in numpy as the store sums them in SQL, with the PnL split only rows give."""
    result = columns.result if rows is None else columns.result[rows]
    pnl_all = columns.pnl_pct if rows is None else columns.pnl_pct[rows]
    r_all = columns.r_multiple if rows is None else columns.r_multiple[rows]
    by_code = np.bincount(result[result >= 0], minlength=len(RESULT_CODES))
    closed = (result >= 0) & (result != RESULT_CODES[Result.CANCELLED])
    has_pnl = closed & ~np.isnan(pnl_all)
    pnl, r = pnl_all[has_pnl], r_all[closed & ~np.isnan(r_all)]
    won = has_pnl & (result == RESULT_CODES[Result.WIN])
    lost = has_pnl & (result == RESULT_CODES[Result.LOSS])
    return ResultCounts(
        open=int(np.sum(result == OPEN)),
        by_result={o: int(by_code[code]) for o, code in RESULT_CODES.items() if by_code[code]},
        pnl_sum_pct=float(np.sum(pnl)),
        pnl_count=len(pnl),
        pnl_sq=float(np.sum(pnl * pnl)),  # not np.dot: BLAS threads cost ms here
        r_sum=float(np.sum(r)),
        r_count=len(r),
        r_sq=float(np.sum(r * r)),
        split=PnlSplit(
            gain_sum_pct=float(np.sum(pnl[pnl > 0])),
            loss_sum_pct=float(np.sum(pnl[pnl < 0])),
            win_sum_pct=float(np.sum(pnl_all[won])),
            win_count=int(np.sum(won)),
            lost_sum_pct=float(np.sum(pnl_all[lost])),
            lost_count=int(np.sum(lost)),
        ),
    )


def summarize(columns: OutcomeColumns) -> Performance:
    """`summarize_counts` of the rows' sufficient statistics, and what only rows give."""
    return summarize_rows(columns, result_counts(columns))


def summarize_rows(columns: OutcomeColumns, counts: ResultCounts) -> Performance:
    """`summarize` of rows whose sufficient statistics are already summed (`counts` is
    `result_counts(columns)`: a caller that needs both sums them once)."""
    result = columns.result
    closed = closed_mask(columns)
    pnl = columns.pnl_pct[closed & ~np.isnan(columns.pnl_pct)]
    return Performance(
        **summarize_counts(counts).fields(),
        median_pnl_pct=float(np.median(pnl)) if len(pnl) else None,
        max_drawdown_pct=max_drawdown(pnl),
        longest_losing_streak=longest_run(result[closed] == RESULT_CODES[Result.LOSS]),
        target_hit_rates=_hit_rates(columns, closed),
        median_minutes_to_tp1=_median_minutes(columns.tp1_hit_ms, columns.created_ms),
        median_minutes_to_sl=_median_minutes(columns.stop_ms, columns.created_ms),
        mean_mfe_pct=_mean(columns.mfe_pct[closed]),
        mean_mae_pct=_mean(columns.mae_pct[closed]),
        ambiguous=int(np.sum(columns.ambiguous & closed)),
    )


def equity_curve(columns: OutcomeColumns) -> tuple[list[int], list[float]]:
    """(close time ms, cumulative PnL %) after each closed signal that has a PnL."""
    closed = (columns.closed_ms != NO_TIME) & ~np.isnan(columns.pnl_pct)
    closed &= columns.result != RESULT_CODES[Result.CANCELLED]
    order = np.argsort(columns.closed_ms[closed], kind="stable")
    times = columns.closed_ms[closed][order]
    return times.tolist(), np.cumsum(columns.pnl_pct[closed][order]).tolist()


def max_drawdown(pnl: F64) -> float | None:
    """Largest fall of the cumulative PnL from a previous peak (the start counts as 0)."""
    if not len(pnl):
        return None
    equity = np.concatenate([[0.0], np.cumsum(pnl)])
    return float(np.max(np.maximum.accumulate(equity) - equity))


def longest_run(flags: B) -> int:
    """Length of the longest run of True."""
    if not len(flags) or not flags.any():
        return 0
    padded = np.concatenate([[0], flags.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int(np.max(edges[1::2] - edges[::2]))


def _mean(values: F64) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.mean(values)) if len(values) else None


def _hit_rates(columns: OutcomeColumns, closed: B) -> tuple[float | None, ...]:
    known = closed & (columns.targets_hit >= 0)
    if not known.any():
        return ()
    most = int(np.max(columns.n_targets[known]))
    rates: list[float | None] = []
    for k in range(1, most + 1):
        has = known & (columns.n_targets >= k)
        n = int(np.sum(has))
        rates.append(float(np.sum(columns.targets_hit[has] >= k)) / n if n else None)
    return tuple(rates)


def _median_minutes(at_ms: I64, created_ms: I64) -> float | None:
    reached = at_ms != NO_TIME
    if not reached.any():
        return None
    return float(np.median((at_ms[reached] - created_ms[reached]) / MINUTE_MS))


def columns_from_rows(rows: Sequence[dict[str, object]]) -> OutcomeColumns:
    """Columns from plain rows (tests and small sets; stores build the arrays directly)."""

    def column(name: str, dtype: type, missing: object) -> npt.NDArray[np.generic]:
        return np.array([missing if row.get(name) is None else row[name] for row in rows],
                        dtype=dtype)  # fmt: skip

    codes = [OPEN if row.get("result") is None else RESULT_CODES[Result(str(row["result"]))]
             for row in rows]  # fmt: skip
    return OutcomeColumns(
        result=np.array(codes, dtype=np.int64),
        pnl_pct=column("pnl_pct", np.float64, math.nan),  # type: ignore[arg-type]
        r_multiple=column("r_multiple", np.float64, math.nan),  # type: ignore[arg-type]
        created_ms=column("created_ms", np.int64, 0),  # type: ignore[arg-type]
        closed_ms=column("closed_ms", np.int64, NO_TIME),  # type: ignore[arg-type]
        tp1_hit_ms=column("tp1_hit_ms", np.int64, NO_TIME),  # type: ignore[arg-type]
        stop_ms=column("stop_ms", np.int64, NO_TIME),  # type: ignore[arg-type]
        targets_hit=column("targets_hit", np.int64, -1),  # type: ignore[arg-type]
        n_targets=column("n_targets", np.int64, 1),  # type: ignore[arg-type]
        mfe_pct=column("mfe_pct", np.float64, math.nan),  # type: ignore[arg-type]
        mae_pct=column("mae_pct", np.float64, math.nan),  # type: ignore[arg-type]
        ambiguous=column("ambiguous", bool, False),  # type: ignore[arg-type]
    )
