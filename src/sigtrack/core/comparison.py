"""Comparing two sets of signals (DESIGN §4): A vs B with a test and a plain verdict.

- winrate difference with Fisher's exact test (two-sided, as scipy computes it);
- difference in mean PnL % and in mean R with a seeded bootstrap 95 % interval (Welch's
  normal interval once both sides are large);
- a verdict: "B is better", "A is better", "no detectable difference", or "not enough
  data: about N more signals per side for 80 % power at this effect size".

`compare` reads the two sides' rows; `compare_counts` gives the same numbers from the
store's counts and sums (a long window), reading rows only for a bootstrap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from sigtrack.core.performance import RESULT_CODES, OutcomeColumns, Performance, summarize
from sigtrack.core.signals import Result
from sigtrack.core.stats import CountSummary, ResultCounts, summarize_counts

F64 = npt.NDArray[np.float64]

ALPHA = 0.05
POWER = 0.80
Z_ALPHA = 1.959963984540054  # two-sided 5 %
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
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))


def compare(a: OutcomeColumns, b: OutcomeColumns, *, seed: int = SEED) -> Comparison:
    sa, sb = summarize(a), summarize(b)
    rng = np.random.default_rng(seed)
    pnl_a, pnl_b = _values(a, a.pnl_pct), _values(b, b.pnl_pct)
    r_a, r_b = _values(a, a.r_multiple), _values(b, b.r_multiple)
    p, diff, verdict, more = _test(sa, sb)
    return ComparisonOf(
        a=sa,
        b=sb,
        winrate_diff=diff,
        fisher_p=p,
        pnl_diff=_mean_diff(pnl_a, pnl_b),
        pnl_diff_interval=bootstrap_diff_interval(pnl_a, pnl_b, rng),
        r_diff=_mean_diff(r_a, r_b),
        r_diff_interval=bootstrap_diff_interval(r_a, r_b, rng),
        verdict=verdict,
        more_per_side=more,
    )


def compare_counts(
    a: ResultCounts,
    b: ResultCounts,
    *,
    rows: tuple[OutcomeColumns, OutcomeColumns] | None = None,
    seed: int = SEED,
) -> CountComparison:
    """`compare` of the same signals from their counts and sums: the same numbers (to
    rounding), each side summarised as far as sums go. Welch's interval comes from n, sum
    and sum of squares; where `compare` would bootstrap (`needs_rows`), the two sides'
    rows must be given and the same seeded draws are made."""
    sa, sb = summarize_counts(a), summarize_counts(b)
    rng = np.random.default_rng(seed)
    pnl = [_Sample(n=c.pnl_count, total=c.pnl_sum_pct, squares=c.pnl_sq) for c in (a, b)]
    r = [_Sample(n=c.r_count, total=c.r_sum, squares=c.r_sq) for c in (a, b)]
    if needs_rows(a, b):
        if rows is None:
            raise ValueError("a side is small enough for the bootstrap: give the rows")
        pnl = [_Sample.of(_values(side, side.pnl_pct)) for side in rows]
        r = [_Sample.of(_values(side, side.r_multiple)) for side in rows]
    p, diff, verdict, more = _test(sa, sb)
    return ComparisonOf(
        a=sa,
        b=sb,
        winrate_diff=diff,
        fisher_p=p,
        pnl_diff=pnl[1].mean - pnl[0].mean if pnl[0].n and pnl[1].n else None,
        pnl_diff_interval=_diff_interval(pnl[0], pnl[1], rng),
        r_diff=r[1].mean - r[0].mean if r[0].n and r[1].n else None,
        r_diff_interval=_diff_interval(r[0], r[1], rng),
        verdict=verdict,
        more_per_side=more,
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
    """95 % interval of mean(b) − mean(a): a seeded percentile bootstrap for small samples,
    Welch's normal interval once both sides have WELCH_FROM values (where the two agree
    and resampling would cost draws × n)."""
    if len(a) < 2 or len(b) < 2:
        return None
    if _is_large(len(a), len(b), draws):
        diff = float(np.mean(b) - np.mean(a))
        half = Z_ALPHA * float(np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)))
        return diff - half, diff + half
    means_a = a[rng.integers(0, len(a), (draws, len(a)))].mean(axis=1)
    means_b = b[rng.integers(0, len(b), (draws, len(b)))].mean(axis=1)
    low, high = np.percentile(means_b - means_a, [2.5, 97.5])
    return float(low), float(high)


def _is_large(n_a: int, n_b: int, draws: int) -> bool:
    """Both sides large enough for Welch, or too large to resample."""
    return min(n_a, n_b) >= WELCH_FROM or (n_a + n_b) * draws > MAX_RESAMPLED


def _diff_interval(a: _Sample, b: _Sample, rng: np.random.Generator) -> tuple[float, float] | None:
    """`bootstrap_diff_interval` of two samples, Welch's from their sums when large."""
    if a.n < 2 or b.n < 2:
        return None
    if _is_large(a.n, b.n, BOOTSTRAP_DRAWS):
        diff = b.mean - a.mean
        half = Z_ALPHA * math.sqrt(a.variance / a.n + b.variance / b.n)
        return diff - half, diff + half
    assert a.values is not None and b.values is not None  # read by compare_counts
    return bootstrap_diff_interval(a.values, b.values, rng)


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
    closed = (columns.result >= 0) & (columns.result != RESULT_CODES[Result.CANCELLED])
    chosen: F64 = values[closed]
    kept: F64 = chosen[~np.isnan(chosen)]
    return kept


def _mean_diff(a: F64, b: F64) -> float | None:
    return float(np.mean(b) - np.mean(a)) if len(a) and len(b) else None
