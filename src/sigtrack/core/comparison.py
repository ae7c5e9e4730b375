"""Comparing two sets of signals (DESIGN §4): A vs B with a test and a plain verdict.

- winrate difference with Fisher's exact test (two-sided, as scipy computes it);
- difference in mean PnL % and in mean R with a seeded bootstrap 95 % interval (Welch's
  normal interval once both sides are large);
- a verdict: "B is better", "A is better", "no detectable difference", or "not enough
  data: about N more signals per side for 80 % power at this effect size".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from sigtrack.core.performance import RESULT_CODES, OutcomeColumns, Performance, summarize
from sigtrack.core.signals import Result

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    a: Performance
    b: Performance
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


def compare(a: OutcomeColumns, b: OutcomeColumns, *, seed: int = SEED) -> Comparison:
    sa, sb = summarize(a), summarize(b)
    rng = np.random.default_rng(seed)
    p = fisher_exact(sa.wins, sa.losses, sb.wins, sb.losses) if sa.decided and sb.decided else None
    diff = sb.winrate - sa.winrate if sa.winrate is not None and sb.winrate is not None else None
    pnl_a, pnl_b = _values(a, a.pnl_pct), _values(b, b.pnl_pct)
    r_a, r_b = _values(a, a.r_multiple), _values(b, b.r_multiple)
    verdict, more = _verdict(sa, sb, p, diff)
    return Comparison(
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
    if min(len(a), len(b)) >= WELCH_FROM or (len(a) + len(b)) * draws > MAX_RESAMPLED:
        diff = float(np.mean(b) - np.mean(a))
        half = Z_ALPHA * float(np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)))
        return diff - half, diff + half
    means_a = a[rng.integers(0, len(a), (draws, len(a)))].mean(axis=1)
    means_b = b[rng.integers(0, len(b), (draws, len(b)))].mean(axis=1)
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


def _verdict(
    a: Performance, b: Performance, p: float | None, diff: float | None
) -> tuple[Verdict, int | None]:
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
