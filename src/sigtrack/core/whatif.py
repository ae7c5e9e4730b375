"""TP/SL what-if (DESIGN §4): re-settle the recorded signals with other target and stop
distances, judged out of sample so the advice is not curve-fitting.

Every cell of the grid places one target and the stop at the given distances from each
signal's entry — in R (multiples of the signal's own risk |entry − SL|) or in % of the
entry — and settles all signals again, 100 % at the target, with the grid engine (each
cell exactly as `settle_many` would settle it alone). Cells are chosen on the earlier part
of the record (by creation time) and reported on the later part, beside what the recorded
levels did on that same later part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from sigtrack.core.advice import AdviceItem, AdviceKind, Metric
from sigtrack.core.batch_resolution import CandleIndex
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidInput
from sigtrack.core.grid_resolution import GridSignals, SettlingGrid
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
    grids = _grids(frame, rows, candles, single, unit, targets, stops)
    cells, grid = [], [(t, s) for t in range(len(targets)) for s in range(len(stops))]
    for done, (t, s) in enumerate(grid):
        pnl = np.full(len(frame), np.nan)  # NaN: not settled or no candles
        for group_rows, settling in grids:
            pnl[group_rows] = settling.cell(t, s).pnl_pct
        cells.append(_cell(targets[t], stops[s], pnl, rows, later))
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


def _grids(
    frame: SignalFrame,
    rows: npt.NDArray[np.int64],
    candles: Mapping[str, CandleIndex],
    policy: ResolutionPolicy,
    unit: Unit,
    targets: Sequence[float],
    stops: Sequence[float],
) -> list[tuple[npt.NDArray[np.int64], SettlingGrid]]:
    """Each symbol's covered signals, in creation order (the fast order), with their grid."""
    sign = np.where(frame.side == "LONG", 1.0, -1.0)
    size = np.abs(frame.entry - frame.stop) if unit is Unit.R else frame.entry / 100
    lives = {tf: policy.life_ms(Timeframe(tf)) for tf in set(frame.timeframe[rows].tolist())}
    life = np.zeros(len(frame), dtype=np.int64)
    for tf, ms in lives.items():
        life[frame.timeframe == tf] = ms
    created = frame.outcomes.created_ms
    grids = []
    for symbol, index in candles.items():
        mine = rows[frame.symbol[rows] == symbol]
        if not len(mine):
            continue
        mine = mine[np.argsort(created[mine], kind="stable")]
        signals = GridSignals(
            sign=sign[mine],
            entry=frame.entry[mine],
            unit=size[mine],
            created_ms=created[mine],
            expires_ms=created[mine] + life[mine],
        )
        grids.append((mine, SettlingGrid(index, signals, targets, stops, policy)))
    return grids


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
