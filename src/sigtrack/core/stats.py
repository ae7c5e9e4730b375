"""The numbers of DESIGN §4: winrate with its interval, and the cohort window."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from sigtrack.core.errors import InvalidInput
from sigtrack.core.signals import Result

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion, as fractions; None when trials = 0."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= trials else min(1.0, centre + half)
    return low, high


def cohort_start(now: datetime, days: int, zone: tzinfo) -> datetime:
    """Start of a window of `days` calendar days ending today, counted in `zone`.

    days=1 is today since local midnight; days=7 is today and the six days before.
    """
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 36_500:
        raise InvalidInput("days", f"must be a whole number from 1 to 36500 (got {days!r})")
    local_today = now.astimezone(zone).date()
    start_day = local_today - timedelta(days=days - 1)
    return datetime.combine(start_day, time(0), tzinfo=zone)


@dataclass(frozen=True, slots=True, kw_only=True)
class PnlSplit:
    """PnL sums split by sign and by result: what the profit factor and the break-even
    winrate need beyond n and sums. Rows give them (`performance.result_counts`); the
    store's aggregates do not carry them yet."""

    gain_sum_pct: float = 0.0  # sum of the positive PnL % of closed signals
    loss_sum_pct: float = 0.0  # sum of the negative ones (≤ 0)
    win_sum_pct: float = 0.0  # PnL % of WIN signals that have one
    win_count: int = 0
    lost_sum_pct: float = 0.0  # PnL % of LOSS signals that have one
    lost_count: int = 0

    def __add__(self, other: PnlSplit) -> PnlSplit:
        return PnlSplit(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                           for f in fields(PnlSplit)})  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultCounts:
    """The sufficient statistics of a set of signals: counts by result, PnL and R sums and
    sums of squares. Every number of DESIGN §4 that needs no rows is a function of these
    (`summarize_counts`); SQL aggregates, daily rollups and numpy (`result_counts`) make
    them."""

    open: int = 0
    by_result: Mapping[Result, int]
    pnl_sum_pct: float = 0.0
    pnl_count: int = 0
    pnl_sq: float = 0.0  # sum of squared PnL %, for the spread of the mean
    r_sum: float = 0.0  # R multiples of closed signals that have one (settled from candles)
    r_count: int = 0
    r_sq: float = 0.0
    split: PnlSplit | None = None  # None: the source did not sum them

    def known_split(self) -> PnlSplit | None:
        """The split, known to be all zeros where no signal has a PnL."""
        return PnlSplit() if self.split is None and not self.pnl_count else self.split

    def __add__(self, other: ResultCounts) -> ResultCounts:
        results = set(self.by_result) | set(other.by_result)
        by_result = {r: self.by_result.get(r, 0) + other.by_result.get(r, 0) for r in results}
        mine, theirs = self.known_split(), other.known_split()
        split = None if mine is None or theirs is None else mine + theirs
        return ResultCounts(
            open=self.open + other.open,
            by_result={r: n for r, n in by_result.items() if n},
            pnl_sum_pct=self.pnl_sum_pct + other.pnl_sum_pct,
            pnl_count=self.pnl_count + other.pnl_count,
            pnl_sq=self.pnl_sq + other.pnl_sq,
            r_sum=self.r_sum + other.r_sum,
            r_count=self.r_count + other.r_count,
            r_sq=self.r_sq + other.r_sq,
            split=split,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CountSummary:
    """The numbers of DESIGN §4 that counts and sums give, without rows (no median,
    drawdown, streak …): the winrate, a breakdown row, a comparison over a long window.
    Wider summaries (`Performance`, `GroupSummary`) extend it."""

    total: int  # closed signals, cancelled ones excepted; open ones are counted apart
    wins: int
    losses: int
    expired: int
    breakeven: int
    cancelled: int
    open: int
    winrate: float | None  # WIN / (WIN + LOSS), a fraction; None when nothing is decided
    interval: tuple[float, float] | None  # Wilson 95 %
    strict_winrate: float | None  # WIN / total
    avg_pnl_pct: float | None  # mean PnL % over closed signals that have one
    total_pnl_pct: float | None  # their sum
    pnl_n: int  # how many signals the PnL numbers are over
    expectancy_r: float | None  # mean R over closed signals that have one
    expectancy_n: int  # how many signals the expectancy is over (settled from candles)
    profit_factor: float | None  # gross profit / gross loss; None without a loss or a split
    breakeven_winrate: float | None  # |avg loss| / (avg win + |avg loss|), a fraction

    @property
    def decided(self) -> int:
        return self.wins + self.losses

    @property
    def winrate_pct(self) -> float | None:
        return None if self.winrate is None else self.winrate * 100

    @property
    def interval_pct(self) -> tuple[float, float] | None:
        return None if self.interval is None else (self.interval[0] * 100, self.interval[1] * 100)

    def fields(self) -> dict[str, Any]:
        """This summary's own fields (to build a wider summary from it)."""
        return {f.name: getattr(self, f.name) for f in fields(CountSummary)}


def summarize_counts(counts: ResultCounts) -> CountSummary:
    """Every number of DESIGN §4 that sufficient statistics give: the one definition."""
    get = counts.by_result.get
    wins, losses = get(Result.WIN, 0), get(Result.LOSS, 0)
    expired, breakeven = get(Result.EXPIRED, 0), get(Result.BREAKEVEN, 0)
    total, decided = wins + losses + expired + breakeven, wins + losses
    return CountSummary(
        total=total,
        wins=wins,
        losses=losses,
        expired=expired,
        breakeven=breakeven,
        cancelled=get(Result.CANCELLED, 0),
        open=counts.open,
        winrate=wins / decided if decided else None,
        interval=wilson_interval(wins, decided),
        strict_winrate=wins / total if total else None,
        avg_pnl_pct=mean_of(counts.pnl_sum_pct, counts.pnl_count),
        total_pnl_pct=counts.pnl_sum_pct if counts.pnl_count else None,
        pnl_n=counts.pnl_count,
        expectancy_r=mean_of(counts.r_sum, counts.r_count),
        expectancy_n=counts.r_count,
        profit_factor=None if counts.split is None else profit_factor(counts.split),
        breakeven_winrate=None if counts.split is None else breakeven_winrate(counts.split),
    )


def mean_of(total: float, n: int) -> float | None:
    """The mean of n values from their sum; None (not 0) when there are none."""
    return total / n if n else None


def spread_of(n: int, total: float, squares: float) -> float:
    """The sample standard deviation (n − 1, as np.std(ddof=1)) from n, sum and sum of
    squares; needs n ≥ 2."""
    return math.sqrt(max(0.0, (squares - total * total / n) / (n - 1)))


def profit_factor(split: PnlSplit) -> float | None:
    """Gross profit / gross loss; None without a loss (never an infinite factor)."""
    return split.gain_sum_pct / -split.loss_sum_pct if split.loss_sum_pct < 0 else None


def breakeven_winrate(split: PnlSplit) -> float | None:
    """The winrate at which the average win pays for the average loss."""
    win = mean_of(split.win_sum_pct, split.win_count)
    loss = mean_of(split.lost_sum_pct, split.lost_count)
    if win is None or loss is None or win + abs(loss) == 0:
        return None
    return abs(loss) / (win + abs(loss))


@dataclass(frozen=True, slots=True, kw_only=True)
class WinrateSummary(CountSummary):
    """Winrate of the cohort created in [since, until) (DESIGN §4)."""

    days: int
    since: datetime
    until: datetime


def summarize_winrate(
    counts: ResultCounts, *, days: int, since: datetime, until: datetime
) -> WinrateSummary:
    return WinrateSummary(days=days, since=since, until=until, **summarize_counts(counts).fields())
