"""TP/SL what-if (DESIGN §4): re-settle the recorded signals with other target and stop
distances, judged out of sample so the advice is not curve-fitting.

Every cell of the grid places one target and the stop at the given distances from each
signal's entry — in R (multiples of the signal's own risk |entry − SL|) or in % of the
entry — and settles all signals again with the batch engine, 100 % at the target. Cells
are chosen on the earlier part of the record (by creation time) and reported on the later
part, beside what the recorded levels did on that same later part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from sigtrack.core.advice import AdviceItem, AdviceKind, Metric
from sigtrack.core.batch_resolution import CandleIndex, settle_many
from sigtrack.core.batch_signals import SignalBatch
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidInput
from sigtrack.core.outcomes import CloseKind
from sigtrack.core.performance import SignalFrame
from sigtrack.core.policy import ResolutionPolicy

F64 = npt.NDArray[np.float64]

DEFAULT_TARGETS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
DEFAULT_STOPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
IN_SAMPLE = 0.6  # the earlier 60 % of the record chooses, the later 40 % judges
DEFAULT_MIN_N = 30
TOP = 3


class Unit(StrEnum):
    R = "r"  # multiples of each signal's own risk |entry − SL|
    PCT = "pct"  # % of the entry


@dataclass(frozen=True, slots=True, kw_only=True)
class CellResult:
    target: float
    stop: float
    n_in: int  # settled signals in the earlier (choosing) part
    expectancy_in: float | None  # mean PnL % per signal, earlier part
    n_out: int
    expectancy_out: float | None  # mean PnL % per signal, later part
    profitable_out: float | None  # share of the later part's signals with PnL > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatIf:
    unit: Unit
    min_n: int
    signals: int  # signals re-settled (those with candles)
    split_at_ms: int | None  # first creation time of the later part
    recorded_out: float | None  # the recorded levels' mean PnL % on the later part
    recorded_n_out: int
    cells: tuple[CellResult, ...]  # every cell of the grid
    best: tuple[CellResult, ...]  # by the earlier part's expectancy, with enough signals

    @property
    def is_enough(self) -> bool:
        return bool(self.best)


Progress = Callable[[int, int], None]  # (cells done, cells in all)


def parse_grid(text: str | None, default: Sequence[float], option: str) -> tuple[float, ...]:
    if not text:
        return tuple(default)
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InvalidInput(option, f"must be numbers like 0.5,1,2 (got {text!r})") from None
    if not values or any(not 0 < v <= 50 for v in values):
        raise InvalidInput(option, f"must be distances in (0, 50] (got {text!r})")
    return values


def what_if(
    frame: SignalFrame,
    candles: Mapping[str, CandleIndex],
    policy: ResolutionPolicy,
    *,
    targets: Sequence[float] = DEFAULT_TARGETS,
    stops: Sequence[float] = DEFAULT_STOPS,
    unit: Unit = Unit.R,
    min_n: int = DEFAULT_MIN_N,
    progress: Progress | None = None,
) -> WhatIf:
    """Re-settle `frame`'s signals (those whose symbol has candles) on every grid cell."""
    rows = _covered(frame, candles)
    created = frame.outcomes.created_ms[rows]
    order = rows[np.argsort(created, kind="stable")]
    split = int(len(order) * IN_SAMPLE)
    later = np.zeros(len(frame), dtype=bool)
    later[order[split:]] = True
    single = replace(policy, exit_plan=(1.0,))
    groups = _groups(frame, candles, single, unit)
    cells, grid = [], [(t, s) for t in targets for s in stops]
    for done, (target, stop) in enumerate(grid):
        pnl = _settle_cell(len(frame), groups, single, target, stop)
        cells.append(_cell(target, stop, pnl, rows, later))
        if progress is not None:
            progress(done + 1, len(grid))
    recorded = frame.outcomes.pnl_pct[later]
    recorded = recorded[~np.isnan(recorded)]
    eligible = [c for c in cells if c.n_in >= min_n and c.expectancy_in is not None]
    best = sorted(eligible, key=lambda c: -c.expectancy_in)[:TOP]  # type: ignore[operator]
    return WhatIf(
        unit=unit,
        min_n=min_n,
        signals=len(rows),
        split_at_ms=int(frame.outcomes.created_ms[order[split]]) if split < len(order) else None,
        recorded_out=float(np.mean(recorded)) if len(recorded) else None,
        recorded_n_out=len(recorded),
        cells=tuple(cells),
        best=tuple(best),
    )


def _covered(frame: SignalFrame, candles: Mapping[str, CandleIndex]) -> npt.NDArray[np.int64]:
    """Signals created while their symbol's candles run (the others cannot be re-settled)."""
    covered = np.zeros(len(frame), dtype=bool)
    created = frame.outcomes.created_ms
    for symbol, index in candles.items():
        times = index.candles.open_time_ms
        if len(times):
            covered |= (frame.symbol == symbol) & (created >= times[0]) & (created < times[-1])
    return np.flatnonzero(covered)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Group:
    """One symbol's signals, in creation order, with what every cell needs of them."""

    rows: npt.NDArray[np.int64]
    index: CandleIndex
    sign: F64
    entry: F64
    risk: F64
    created_ms: npt.NDArray[np.int64]
    life_ms: npt.NDArray[np.int64]


def _groups(
    frame: SignalFrame, candles: Mapping[str, CandleIndex], policy: ResolutionPolicy, unit: Unit
) -> list[_Group]:
    sign = np.where(frame.side == "LONG", 1.0, -1.0)
    risk = np.abs(frame.entry - frame.stop) if unit is Unit.R else frame.entry / 100
    lives = {tf: policy.life_ms(Timeframe(tf)) for tf in set(frame.timeframe.tolist())}
    life = np.zeros(len(frame), dtype=np.int64)
    for tf, ms in lives.items():
        life[frame.timeframe == tf] = ms
    groups = []
    for symbol, index in candles.items():
        rows = np.flatnonzero(frame.symbol == symbol)
        rows = rows[np.argsort(frame.outcomes.created_ms[rows], kind="stable")]  # fast order
        groups.append(
            _Group(
                rows=rows,
                index=index,
                sign=sign[rows],
                entry=frame.entry[rows],
                risk=risk[rows],
                created_ms=frame.outcomes.created_ms[rows],
                life_ms=life[rows],
            )
        )
    return groups


def _settle_cell(
    size: int, groups: list[_Group], policy: ResolutionPolicy, target: float, stop: float
) -> F64:
    """PnL % of every signal under this cell (NaN: not settled or no candles)."""
    pnl = np.full(size, np.nan)
    for g in groups:
        stops = g.entry - g.sign * stop * g.risk
        usable = stops > 0  # a stop below zero cannot be placed
        if not usable.any():
            continue
        batch = SignalBatch.from_arrays(
            is_long=g.sign[usable] > 0,
            entry=g.entry[usable],
            stop=stops[usable],
            targets=(g.entry + g.sign * target * g.risk)[usable][:, None],
            created_ms=g.created_ms[usable],
            life_ms=g.life_ms[usable],
            policy=policy,
        )
        state = settle_many(batch, g.index, policy)
        closed = state.close_kind != CloseKind.OPEN
        pnl[g.rows[usable]] = np.where(closed, state.pnl_pct, np.nan)
    return pnl


def _cell(
    target: float,
    stop: float,
    pnl: F64,
    rows: npt.NDArray[np.int64],
    later: npt.NDArray[np.bool_],
) -> CellResult:
    chosen = np.zeros(len(pnl), dtype=bool)
    chosen[rows] = True
    settled = chosen & ~np.isnan(pnl)
    early, late = settled & ~later, settled & later
    n_in, n_out = int(np.sum(early)), int(np.sum(late))
    return CellResult(
        target=target,
        stop=stop,
        n_in=n_in,
        expectancy_in=float(np.mean(pnl[early])) if n_in else None,
        n_out=n_out,
        expectancy_out=float(np.mean(pnl[late])) if n_out else None,
        profitable_out=float(np.mean(pnl[late] > 0)) if n_out else None,
    )


def whatif_advice(result: WhatIf) -> list[AdviceItem]:
    """The best cell as advice, when it also beat the recorded levels on the later part."""
    if not result.best or result.recorded_out is None:
        return []
    best = result.best[0]
    if best.expectancy_out is None or best.expectancy_out <= result.recorded_out:
        return []
    unit = "R" if result.unit is Unit.R else "%"
    return [
        AdviceItem(
            kind=AdviceKind.WHATIF,
            subject=f"tp={best.target:g}{unit},sl={best.stop:g}{unit}",
            evidence={
                "metric": Metric.PNL.value,
                "target": best.target,
                "stop": best.stop,
                "unit": result.unit.value,
                "n_in": best.n_in,
                "expectancy_in": best.expectancy_in,
                "n_out": best.n_out,
                "expectancy": best.expectancy_out,
                "recorded_expectancy": result.recorded_out,
            },
            message="advice.tp_sl_whatif",
        )
    ]
