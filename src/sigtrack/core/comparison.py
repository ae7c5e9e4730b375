"""Comparing two sets of signals (DESIGN §4): A vs B with a test and a plain verdict.

- winrate difference with Fisher's exact test (two-sided, as scipy computes it);
- difference in mean PnL % and in mean R with a seeded bootstrap 95 % interval (Welch's
  normal interval once both sides are large);
- a verdict: "B is better", "A is better", "no detectable difference", or "not enough
  data: about N more signals per side for 80 % power at this effect size".

Every number comes from the two sides' sufficient statistics (counts, sums, sums of
squares) in one path; rows are read only for a bootstrap (a small side). `compare` takes
two sides' rows and summarises each in full (`Performance`); `compare_counts` takes the
store's sums of a long window (each side a `CountSummary`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from sigtrack.core.performance import (
    OutcomeColumns,
    Performance,
    closed_mask,
    result_counts,
    summarize_rows,
)
from sigtrack.core.stats import Z_95, CountSummary, ResultCounts, spread_of, summarize_counts

F64 = npt.NDArray[np.float64]

ALPHA = 0.05
POWER = 0.80
Z_ALPHA = Z_95  # two-sided 5 %
Z_POWER = 0.8416212335729143  # one-sided 80 %
BOOTSTRAP_DRAWS = 2_000
SEED = 20261124
MIN_DECIDED = 10  # per side, before any verdict about a difference is given
WELCH_FROM = 30  # values per side from which the mean difference uses Welch's interval
MAX_RESAMPLED = 4_000_000  # values a bootstrap may draw in all (it costs draws × n)


class Verdict(StrEnum):
    B_BETTER = "B is better"
    A_BETTER = "A is better"
    NO_DIFFERENCE = "no detectable difference"
    NOT_ENOUGH = "not enough data"


class Side(Protocol):
    """What the test and the verdict read of each side (`Performance`, `CountSummary`)."""

    @property
    def wins(self) -> int: ...

    @property
    def losses(self) -> int: ...

    @property
    def winrate(self) -> float | None: ...

    @property
    def decided(self) -> int: ...


S_co = TypeVar("S_co", bound=Side, covariant=True)
S = TypeVar("S", bound=Side)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparisonOf(Generic[S_co]):
    a: S_co
    b: S_co
    winrate_diff: float | None  # B − A, a fraction
    fisher_p: float | None
    pnl_diff: float | None  # mean PnL % of B − A
    pnl_diff_interval: tuple[float, float] | None  # bootstrap 95 %
    r_diff: float | None
    r_diff_interval: tuple[float, float] | None
    verdict: Verdict
    more_per_side: int | None  # signals per side still needed for 80 % power

    @property
    def verdict_text(self) -> str:
        if self.verdict is Verdict.NOT_ENOUGH and self.more_per_side:
            return (
                f"not enough data: about {self.more_per_side} more signals per side for "
                "80 % power at this effect size"
            )
        return self.verdict.value


Comparison: TypeAlias = ComparisonOf[Performance]  # from rows: each side's full summary
CountComparison: TypeAlias = ComparisonOf[CountSummary]  # from counts: what sums give


@dataclass(frozen=True, slots=True, kw_only=True)
class _Sample:
    """One side's values of a metric: their count, sum and sum of squares, and the values
    themselves when they were read (a bootstrap needs them)."""

    n: int
    total: float
    squares: float
    values: F64 | None = None

    @classmethod
    def of(cls, values: F64) -> _Sample:
        return cls(n=len(values), total=float(np.sum(values)),
                   squares=float(np.sum(values * values)), values=values)  # fmt: skip

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def variance(self) -> float:  # with n − 1, as np.var(ddof=1)
        return spread_of(self.n, self.total, self.squares) ** 2


def compare(a: OutcomeColumns, b: OutcomeColumns, *, seed: int = SEED) -> Comparison:
    """Two sides' rows, each summarised in full (`Performance`)."""
    counts_a, counts_b = result_counts(a), result_counts(b)
    sa, sb = summarize_rows(a, counts_a), summarize_rows(b, counts_b)
    return _compare(sa, sb, counts_a, counts_b, (a, b), seed)


def compare_counts(
    a: ResultCounts,
    b: ResultCounts,
    *,
    rows: tuple[OutcomeColumns, OutcomeColumns] | None = None,
    seed: int = SEED,
) -> CountComparison:
    """Two sides from their counts and sums, each summarised as far as sums go. Welch's
    interval comes from n, sum and sum of squares; where a side is small enough for the
    bootstrap (`needs_rows`), the two sides' rows must be given."""
    if rows is None and needs_rows(a, b):
        raise ValueError("a side is small enough for the bootstrap: give the rows")
    return _compare(summarize_counts(a), summarize_counts(b), a, b, rows, seed)


def _compare(
    sa: S,
    sb: S,
    a: ResultCounts,
    b: ResultCounts,
    rows: tuple[OutcomeColumns, OutcomeColumns] | None,
    seed: int,
) -> ComparisonOf[S]:
    """The one comparison: the test on the sides' summaries, the mean differences and
    their intervals from the sums (values from `rows` only where they are bootstrapped)."""
    rows_a, rows_b = rows if rows is not None and needs_rows(a, b) else (None, None)
    (pnl_a, r_a), (pnl_b, r_b) = _samples(a, rows_a), _samples(b, rows_b)
    rng = np.random.default_rng(seed)
    p, diff, verdict, more = _test(sa, sb)
    return ComparisonOf(
        a=sa,
        b=sb,
        winrate_diff=diff,
        fisher_p=p,
        pnl_diff=pnl_b.mean - pnl_a.mean if pnl_a.n and pnl_b.n else None,
        pnl_diff_interval=_diff_interval(pnl_a, pnl_b, rng),
        r_diff=r_b.mean - r_a.mean if r_a.n and r_b.n else None,
        r_diff_interval=_diff_interval(r_a, r_b, rng),
        verdict=verdict,
        more_per_side=more,
    )


def _samples(counts: ResultCounts, rows: OutcomeColumns | None) -> tuple[_Sample, _Sample]:
    """(PnL %, R) of one side from its sums, with their values when its rows are given."""
    c = counts
    pnl = None if rows is None else _values(rows, rows.pnl_pct)
    r = None if rows is None else _values(rows, rows.r_multiple)
    return (
        _Sample(n=c.pnl_count, total=c.pnl_sum_pct, squares=c.pnl_sq, values=pnl),
        _Sample(n=c.r_count, total=c.r_sum, squares=c.r_sq, values=r),
    )


def needs_rows(a: ResultCounts, b: ResultCounts) -> bool:
    """Whether a difference interval of these sides is bootstrapped (a small side), so
    that `compare_counts` needs their values, not only their sums."""
    return any(
        min(n_a, n_b) >= 2 and not _is_large(n_a, n_b, BOOTSTRAP_DRAWS)
        for n_a, n_b in ((a.pnl_count, b.pnl_count), (a.r_count, b.r_count))
    )


def _test(a: Side, b: Side) -> tuple[float | None, float | None, Verdict, int | None]:
    """Fisher's p, the winrate difference, the verdict and the signals still needed."""
    p = fisher_exact(a.wins, a.losses, b.wins, b.losses) if a.decided and b.decided else None
    diff = b.winrate - a.winrate if a.winrate is not None and b.winrate is not None else None
    return (p, diff, *_verdict(a, b, p, diff))


def fisher_exact(a_wins: int, a_losses: int, b_wins: int, b_losses: int) -> float:
    """Two-sided p of Fisher's exact test on [[a_wins, a_losses], [b_wins, b_losses]].

    Sums the probabilities of every table with the same margins that is no more likely
    than the one observed (with scipy's relative tolerance of 1e-7).
    """
    n_a, wins, total = a_wins + a_losses, a_wins + b_wins, a_wins + a_losses + b_wins + b_losses
    low, high = max(0, wins - (total - n_a)), min(wins, n_a)
    support = np.arange(low, high + 1)
    log_p = np.array([_log_hypergeom(int(k), n_a, wins, total) for k in support])
    observed = _log_hypergeom(a_wins, n_a, wins, total)
    probabilities = np.exp(log_p)
    extreme = log_p <= observed + math.log1p(1e-7)
    return float(min(1.0, np.sum(probabilities[extreme])))


def _log_hypergeom(k: int, n_a: int, wins: int, total: int) -> float:
    return _log_choose(wins, k) + _log_choose(total - wins, n_a - k) - _log_choose(total, n_a)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def bootstrap_diff_interval(
    a: F64, b: F64, rng: np.random.Generator, draws: int = BOOTSTRAP_DRAWS
) -> tuple[float, float] | None:
    """95 % interval of mean(b) − mean(a) of two samples' values (`_diff_interval`)."""
    return _diff_interval(_Sample.of(a), _Sample.of(b), rng, draws)


def _is_large(n_a: int, n_b: int, draws: int) -> bool:
    """Both sides large enough for Welch, or too large to resample."""
    return min(n_a, n_b) >= WELCH_FROM or (n_a + n_b) * draws > MAX_RESAMPLED


def _diff_interval(
    a: _Sample, b: _Sample, rng: np.random.Generator, draws: int = BOOTSTRAP_DRAWS
) -> tuple[float, float] | None:
    """95 % interval of mean(b) − mean(a): Welch's normal interval from the sums once both
    sides have WELCH_FROM values (where it agrees with the bootstrap, and resampling would
    cost draws × n); below, a seeded percentile bootstrap of the values."""
    if a.n < 2 or b.n < 2:
        return None
    if _is_large(a.n, b.n, draws):
        diff = b.mean - a.mean
        half = Z_ALPHA * math.sqrt(a.variance / a.n + b.variance / b.n)
        return diff - half, diff + half
    if a.values is None or b.values is None:
        raise ValueError("a side is small enough for the bootstrap: give the rows")
    means_a = a.values[rng.integers(0, a.n, (draws, a.n))].mean(axis=1)
    means_b = b.values[rng.integers(0, b.n, (draws, b.n))].mean(axis=1)
    low, high = np.percentile(means_b - means_a, [2.5, 97.5])
    return float(low), float(high)


def signals_for_power(p_a: float, p_b: float) -> int | None:
    """Signals per side for an 80 % chance to detect p_a vs p_b at 5 % (two-sided)."""
    delta = abs(p_b - p_a)
    if delta == 0:
        return None
    mean = (p_a + p_b) / 2
    root = Z_ALPHA * math.sqrt(2 * mean * (1 - mean)) + Z_POWER * math.sqrt(
        p_a * (1 - p_a) + p_b * (1 - p_b)
    )
    return math.ceil(root * root / (delta * delta))


def _verdict(a: Side, b: Side, p: float | None, diff: float | None) -> tuple[Verdict, int | None]:
    if p is None or diff is None or min(a.decided, b.decided) < MIN_DECIDED:
        need = signals_for_power(a.winrate, b.winrate) if diff else None  # type: ignore[arg-type]
        more = None if need is None else max(0, need - min(a.decided, b.decided))
        return Verdict.NOT_ENOUGH, more
    if p < ALPHA:
        return (Verdict.B_BETTER if diff > 0 else Verdict.A_BETTER), None
    need = signals_for_power(a.winrate, b.winrate)  # type: ignore[arg-type]
    if need is not None and need > min(a.decided, b.decided):
        return Verdict.NOT_ENOUGH, need - min(a.decided, b.decided)
    return Verdict.NO_DIFFERENCE, None


def _values(columns: OutcomeColumns, values: F64) -> F64:
    chosen: F64 = values[closed_mask(columns)]
    kept: F64 = chosen[~np.isnan(chosen)]
    return kept
