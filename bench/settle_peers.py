"""The settling benchmark's peers, and how their answers are compared with sigtrack's.

- `run_backtesting`: backtesting.py, one `Backtest` per signal over the candles of its life.
- `run_vectorbt`: vectorbt's `Portfolio.from_signals` with `sl_stop` / `tp_stop`, one column
  per signal over aligned windows of its life.
- `linear_scan`: a compiled (numba) candle-by-candle scan of DESIGN §3's rules, written here
  as the "compiled linear scan" of issue 3 and as an independent check of sigtrack's engine.

Every runner answers with `Exits`: per signal and leg, the exit candle (an index into the
candles), the exit price, and how the signal closed (1 target, 2 stop, 3 expiry, as
sigtrack's `CloseKind`).
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from settle_market import SignalArrays
from sigtrack.core.batch_signals import OutcomeBatch
from sigtrack.core.candles import Candles

TARGET, STOP, EXPIRY = 1, 2, 3
RESULT = {TARGET: "WIN", STOP: "LOSS", EXPIRY: "EXPIRED"}


@dataclass(slots=True)
class Exits:
    """How a set of signals closed: kind per signal; exit candle and price per leg."""

    kind: np.ndarray  # N: TARGET / STOP / EXPIRY (0: the runner gave no answer)
    legs_done: np.ndarray  # N: targets reached
    exit_idx: np.ndarray  # N × legs: candle index of each leg's exit (−1: none)
    exit_price: np.ndarray  # N × legs

    @classmethod
    def empty(cls, n: int, legs: int = 1) -> Exits:
        return cls(
            kind=np.zeros(n, dtype=np.int64),
            legs_done=np.zeros(n, dtype=np.int64),
            exit_idx=np.full((n, legs), -1, dtype=np.int64),
            exit_price=np.full((n, legs), np.nan),
        )

    def take(self, rows: np.ndarray) -> Exits:
        return Exits(
            self.kind[rows], self.legs_done[rows], self.exit_idx[rows], self.exit_price[rows]
        )


def sigtrack_exits(outcome: OutcomeBatch, signals: SignalArrays, candles: Candles) -> Exits:
    """sigtrack's outcomes in the same terms as the peers' (an expiry exits at the last candle
    of the life, at its close)."""
    times = candles.open_time_ms
    legs = outcome.exit_ms.shape[1]
    used = np.arange(legs)[None, :] < outcome.signals.n_legs[:, None]
    at = np.searchsorted(times, outcome.exit_ms)
    expired = (outcome.close_kind == EXPIRY)[:, None] & (
        outcome.exit_ms == outcome.signals.expires_ms[:, None]
    )
    idx = np.where(expired, (signals.end - 1)[:, None], at)
    idx = np.where(used & (outcome.exit_ms > 0), idx, -1)
    return Exits(
        kind=outcome.close_kind.copy(),
        legs_done=outcome.legs_done.copy(),
        exit_idx=idx.astype(np.int64),
        exit_price=np.where(idx >= 0, outcome.exit_price, np.nan),
    )


# --- backtesting.py ------------------------------------------------------------------------


def _backtesting_strategy() -> type:
    from backtesting import Strategy  # noqa: PLC0415 (imported only where it is measured)

    class OneSignal(Strategy):  # type: ignore[misc]
        """Places the signal's order on the second (padding) candle: it fills at the next
        open, which is the first candle of the signal's life, at the signal's entry."""

        is_long = True
        sl_level = 0.0
        tp_level = 0.0

        def init(self) -> None:
            pass

        def next(self) -> None:
            if len(self.data) == 2:
                order = self.buy if self.is_long else self.sell
                order(size=1, sl=self.sl_level, tp=self.tp_level)

    return OneSignal


def run_backtesting(
    candles: Candles, signals: SignalArrays, budget_s: float, min_signals: int = 3
) -> tuple[Exits, int, float]:
    """backtesting.py on the signals in order until `budget_s` is spent.

    Returns (exits, how many were settled, seconds). Each signal gets its own `Backtest` on
    two padding candles at the entry price followed by the candles of its life: the market
    order placed on the second padding candle fills at the next open, i.e. at the entry.
    No commission or spread, size 1 unit with ample cash (no rounding), no hedging, no
    exclusive orders, `trade_on_close` off, `finalize_trades` off: a trade still open at
    the end of the life is read as an expiry at the last close, which is what
    backtesting.py marks it to.
    """
    import pandas as pd  # noqa: PLC0415
    from backtesting import Backtest  # noqa: PLC0415

    strategy = _backtesting_strategy()
    exits = Exits.empty(len(signals))
    times = candles.open_time_ms.astype("datetime64[ms]")
    step = np.timedelta64(candles.step_ms, "ms")
    ohlc = np.stack([candles.open, candles.high, candles.low, candles.close], axis=1)
    done = 0
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(len(signals)):
            if done >= min_signals and time.perf_counter() - started > budget_s:
                break
            first, end = int(signals.start[i]), int(signals.end[i])
            entry = float(signals.entry[i])
            pad = np.full((2, 4), entry)
            index = np.concatenate(
                [[times[first] - 2 * step, times[first] - step], times[first:end]]
            )
            frame = pd.DataFrame(
                np.concatenate([pad, ohlc[first:end]]),
                index=pd.DatetimeIndex(index),
                columns=["Open", "High", "Low", "Close"],
            )
            test = Backtest(frame, strategy, cash=1e12, commission=0.0, spread=0.0)
            stats = test.run(
                is_long=bool(signals.is_long[i]),
                sl_level=float(signals.stop[i]),
                tp_level=float(signals.targets[i, 0]),
            )
            trades = stats["_trades"]
            if len(trades):
                pnl = float(trades["PnL"].iloc[0])
                exits.kind[i] = TARGET if pnl > 0 else STOP
                exits.exit_idx[i, 0] = first + int(trades["ExitBar"].iloc[0]) - 2
                exits.exit_price[i, 0] = float(trades["ExitPrice"].iloc[0])
            elif len(stats["_strategy"].trades):
                exits.kind[i] = EXPIRY
                exits.exit_idx[i, 0] = end - 1
                exits.exit_price[i, 0] = float(frame["Close"].iloc[-1])
            exits.legs_done[i] = int(exits.kind[i] == TARGET)
            done += 1
    return exits, done, time.perf_counter() - started


# --- vectorbt --------------------------------------------------------------------------------


def exact_fractions(
    init: np.ndarray, level: np.ndarray, up: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Stop fractions f with init × (1 + f) == level (up) or init × (1 − f) == level, exactly
    in floating point where a few ulps of nudging find one; and a mask of where they did."""
    sign = np.where(up, 1.0, -1.0)
    frac = sign * (level / init - 1.0)
    for _ in range(8):
        rebuilt = init * (1.0 + sign * frac)
        low, high = rebuilt < level, rebuilt > level
        if not (low.any() or high.any()):
            break
        towards = np.where(low == up, np.inf, -np.inf)  # up: a bigger f is a higher level
        frac = np.where(low | high, np.nextafter(frac, towards), frac)
    return frac, init * (1.0 + sign * frac) == level


def vectorbt_levels(
    signals: SignalArrays,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(base, sl_stop, tp_stop, exact): fractions that vectorbt turns back into the signal's
    own stop and target to the last bit.

    vectorbt takes stops as fractions of a base price and rebuilds each level as
    base × (1 ± f). From the entry, about one signal in five has a level that no f
    rebuilds exactly (a product's step can be 2 ulps), and a level one ulp off turns an
    exact touch into a miss. So the base is searched among prices within ±5e-7 of the
    entry (it reaches vectorbt as the valuation price of the entry candle, with
    `stop_entry_price="valprice"`); the entry itself, and so the trade's price, is
    unchanged.
    """
    long = signals.is_long
    stop, target = signals.stop, signals.targets[:, 0]
    base = signals.entry.copy()
    sl = np.zeros(len(signals))
    tp = np.zeros(len(signals))
    exact = np.zeros(len(signals), dtype=bool)
    for attempt in range(64):
        todo = np.flatnonzero(~exact)
        if not len(todo):
            break
        shift = ((attempt * 0.618034) % 1.0 - 0.5) * 1e-6 if attempt else 0.0
        trial = signals.entry[todo] * (1.0 + shift)
        f_sl, sl_ok = exact_fractions(trial, stop[todo], ~long[todo])
        f_tp, tp_ok = exact_fractions(trial, target[todo], long[todo])
        good = sl_ok & tp_ok & (f_sl >= 0) & (f_tp >= 0)
        if attempt == 0:
            base[todo], sl[todo], tp[todo] = trial, f_sl, f_tp  # the fallback: from the entry
        rows = todo[good]
        base[rows], sl[rows], tp[rows], exact[rows] = trial[good], f_sl[good], f_tp[good], True
    return base, sl, tp, exact


def run_vectorbt(
    candles: Candles, signals: SignalArrays, budget_s: float, cells: int = 4_000_000
) -> tuple[Exits, int, float, np.ndarray]:
    """vectorbt's `Portfolio.from_signals` on the signals in order until `budget_s` is spent.

    Signals go in chunks of columns, one column per signal: a padding row at the entry
    price (the entry signal: the order fills at its close, the entry; the stops are
    measured from a base next to it, see `vectorbt_levels`), then the candles of the
    signal's life, then flat candles at the last close up to the chunk's longest life (they
    can reach neither level: the last close lies strictly between them when the position
    is still open). vectorbt checks stops from the candle after the entry, which is why
    the entry sits on a padding row. Returns (exits, settled, seconds,
    a mask of the signals whose levels vectorbt could not be given exactly).
    """
    import vectorbt as vbt  # noqa: PLC0415

    exits = Exits.empty(len(signals))
    done = 0
    inexact = np.zeros(len(signals), dtype=bool)
    started = time.perf_counter()
    longest = int(np.max(signals.end - signals.start))
    width = max(1, min(2_000, cells // (longest + 1)))
    for first in range(0, len(signals), width):
        if done and time.perf_counter() - started > budget_s:
            break
        rows = np.arange(first, min(first + width, len(signals)))
        chunk = signals.take(rows)
        prices, base, sl, tp, exact = _vectorbt_inputs(candles, chunk)
        inexact[rows] = ~exact
        entries = np.zeros(prices[0].shape, dtype=bool)
        entries[0] = True
        valuation = np.full(prices[0].shape, np.inf)  # inf: the order price (the default)
        valuation[0] = base
        portfolio = vbt.Portfolio.from_signals(
            close=prices[3],
            entries=entries,
            open=prices[0],
            high=prices[1],
            low=prices[2],
            val_price=valuation,
            stop_entry_price="valprice",
            sl_stop=sl[None, :],
            tp_stop=tp[None, :],
            direction=np.where(chunk.is_long, 0, 1)[None, :],
            size=1.0,
            init_cash=1e12,
            fees=0.0,
            slippage=0.0,
            freq="1min",
        )
        trades = portfolio.exit_trades.values
        _read_vectorbt(trades, chunk, rows, exits)
        done += len(rows)
    return exits, done, time.perf_counter() - started, inexact


def _vectorbt_inputs(
    candles: Candles, chunk: SignalArrays
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    length = int(np.max(chunk.end - chunk.start))
    offset = np.arange(length)[:, None]
    at = chunk.start[None, :] + offset
    inside = at < chunk.end[None, :]
    at = np.minimum(at, chunk.end[None, :] - 1)
    last_close = candles.close[chunk.end - 1][None, :]
    prices = []
    for column in (candles.open, candles.high, candles.low, candles.close):
        body = np.where(inside, column[at], last_close)
        prices.append(np.concatenate([chunk.entry[None, :], body]))
    base, sl, tp, exact = vectorbt_levels(chunk)
    return prices, base, sl, tp, exact


def _read_vectorbt(trades: np.ndarray, chunk: SignalArrays, rows: np.ndarray, exits: Exits) -> None:
    col = trades["col"]
    signal = rows[col]
    open_ = trades["status"] == 0
    pnl = trades["pnl"]
    exits.kind[signal] = np.where(open_, EXPIRY, np.where(pnl > 0, TARGET, STOP))
    exits.legs_done[signal] = (exits.kind[signal] == TARGET).astype(np.int64)
    last = chunk.end[col] - 1
    exits.exit_idx[signal, 0] = np.where(open_, last, chunk.start[col] + trades["exit_idx"] - 1)
    exits.exit_price[signal, 0] = trades["exit_price"]


# --- the compiled linear scan ----------------------------------------------------------------


def compile_scan() -> Any:
    """numba-compile the scan (a few seconds, once per process)."""
    from numba import njit  # noqa: PLC0415

    return njit(cache=False, nogil=True)(_scan_py)


def _scan_py(  # noqa: C901 (one loop, kept whole so numba compiles one function)
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    sign: np.ndarray,
    stop: np.ndarray,
    entry: np.ndarray,
    targets: np.ndarray,
    n_legs: np.ndarray,
    move_to_entry: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DESIGN §3 candle by candle under sl_first (plain Python; numba compiles it)."""
    n, width = targets.shape
    kind = np.zeros(n, dtype=np.int64)
    legs_done = np.zeros(n, dtype=np.int64)
    exit_idx = np.full((n, width), -1, dtype=np.int64)
    exit_price = np.full((n, width), np.nan)
    fav = np.full(n, np.nan)
    adv = np.full(n, np.nan)
    for s in range(n):
        sg = sign[s]
        live_stop = sg * stop[s]
        k = 0
        best, worst = -np.inf, -np.inf
        i = start[s]
        while i < end[s]:
            hi = high[i] if sg > 0 else -low[i]
            lo = low[i] if sg > 0 else -high[i]
            best = max(best, hi)
            worst = max(worst, -lo)
            o = sg * open_[i]
            target = sg * targets[s, k]
            stop_hit = o <= live_stop
            price = open_[i]
            if not stop_hit and (o >= target or (hi >= target and lo > live_stop)):
                while k < n_legs[s] and hi >= sg * targets[s, k]:
                    exit_idx[s, k] = i
                    exit_price[s, k] = targets[s, k]
                    k += 1
                if k == n_legs[s]:
                    kind[s] = 1
                    break
                if move_to_entry:
                    live_stop = sg * entry[s]
            elif stop_hit or lo <= live_stop:
                if not stop_hit:
                    price = sg * live_stop
                for j in range(k, n_legs[s]):
                    exit_idx[s, j] = i
                    exit_price[s, j] = price
                kind[s] = 2
                break
            i += 1
        if kind[s] == 0 and end[s] > start[s]:
            kind[s] = 3
            for j in range(k, n_legs[s]):
                exit_idx[s, j] = end[s] - 1
                exit_price[s, j] = close[end[s] - 1]
        legs_done[s] = k
        fav[s] = best
        adv[s] = worst
    return kind, legs_done, exit_idx, exit_price, fav, adv


def run_scan(
    scan: Any, candles: Candles, signals: SignalArrays, legs: int, move_to_entry: bool = True
) -> tuple[Exits, np.ndarray, np.ndarray, float]:
    """The compiled scan over every signal: (exits, signed best, signed worst, seconds)."""
    targets = signals.targets[:, :legs].copy()
    n_legs = np.sum(~np.isnan(targets), axis=1).astype(np.int64)
    started = time.perf_counter()
    kind, done, idx, price, fav, adv = scan(
        candles.open,
        candles.high,
        candles.low,
        candles.close,
        signals.start,
        signals.end,
        np.where(signals.is_long, 1.0, -1.0),
        signals.stop,
        signals.entry,
        targets,
        n_legs,
        move_to_entry,
    )
    seconds = time.perf_counter() - started
    return Exits(kind, done, idx, price), fav, adv, seconds


# --- comparing --------------------------------------------------------------------------------


@dataclass(slots=True)
class Agreement:
    """How a peer's answers compare with sigtrack's on the signals both settled."""

    compared: int = 0
    result: int = 0  # same WIN / LOSS / EXPIRED
    exit_candle: int = 0
    exit_price: int = 0
    all_three: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, other: Agreement) -> None:
        self.compared += other.compared
        self.result += other.result
        self.exit_candle += other.exit_candle
        self.exit_price += other.exit_price
        self.all_three += other.all_three
        self.categories.update(other.categories)
        for name, found in other.examples.items():
            mine = self.examples.setdefault(name, [])
            mine.extend(found[: max(0, 3 - len(mine))])

    def to_json(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "same_result": self.result,
            "same_exit_candle": self.exit_candle,
            "same_exit_price": self.exit_price,
            "all_three": self.all_three,
            "disagreements": dict(self.categories),
            "examples": self.examples,
        }


GAPPED_TARGET = "target gapped: the peer fills at the open, sigtrack at the target"
STOP_AFTER_GAPPED_TARGET = (
    "opened beyond the target, then reached the stop: the peer lets the stop win"
)
INEXACT_LEVEL = "level not representable as a vectorbt fraction"
UNEXPLAINED = "unexplained"


def compare_single(
    ours: Exits,
    peer: Exits,
    rows: np.ndarray,
    candles: Candles,
    signals: SignalArrays,
    name: str,
    inexact: np.ndarray | None = None,
) -> Agreement:
    """Compare one-target answers on `rows`; sort every disagreement into a known cause."""
    a, b = ours.take(rows), peer.take(rows)
    same_result = a.kind == b.kind
    same_candle = a.exit_idx[:, 0] == b.exit_idx[:, 0]
    same_price = a.exit_price[:, 0] == b.exit_price[:, 0]
    agreement = Agreement(
        compared=len(rows),
        result=int(same_result.sum()),
        exit_candle=int(same_candle.sum()),
        exit_price=int(same_price.sum()),
        all_three=int((same_result & same_candle & same_price).sum()),
    )
    for j in np.flatnonzero(~(same_result & same_candle & same_price)).tolist():
        s = int(rows[j])
        cause = _cause(a, b, j, s, candles, signals)
        if cause == UNEXPLAINED and inexact is not None and inexact[s]:
            cause = INEXACT_LEVEL
        agreement.categories[cause] += 1
        found = agreement.examples.setdefault(cause, [])
        if len(found) < 3:
            found.append(_example(a, b, j, s, candles, signals, name))
    return agreement


def _cause(a: Exits, b: Exits, j: int, s: int, candles: Candles, signals: SignalArrays) -> str:
    first = min(x for x in (a.exit_idx[j, 0], b.exit_idx[j, 0]) if x >= 0)
    sg = 1.0 if signals.is_long[s] else -1.0
    o = sg * candles.open[first]
    lo = sg * (candles.low[first] if sg > 0 else candles.high[first])
    target, stop = sg * signals.targets[s, 0], sg * signals.stop[s]
    same_candle = a.exit_idx[j, 0] == b.exit_idx[j, 0]
    at_level = a.exit_price[j, 0] == signals.targets[s, 0]
    at_open = b.exit_price[j, 0] == candles.open[first]
    if same_candle and a.kind[j] == b.kind[j] == TARGET and o > target and at_level and at_open:
        return GAPPED_TARGET
    if same_candle and a.kind[j] == TARGET and b.kind[j] == STOP and o >= target and lo <= stop:
        return STOP_AFTER_GAPPED_TARGET
    return UNEXPLAINED


def _example(
    a: Exits, b: Exits, j: int, s: int, candles: Candles, signals: SignalArrays, name: str
) -> dict[str, Any]:
    candle = int(a.exit_idx[j, 0])
    return {
        "signal": s,
        "side": "LONG" if signals.is_long[s] else "SHORT",
        "entry": float(signals.entry[s]),
        "stop": float(signals.stop[s]),
        "tp1": float(signals.targets[s, 0]),
        "created_ms": int(signals.created_ms[s]),
        "sigtrack": _answer(a, j, candles),
        name: _answer(b, j, candles),
        "candle_at_sigtrack_exit": _candle(candles, candle),
    }


def _answer(x: Exits, j: int, candles: Candles) -> dict[str, Any]:
    idx = int(x.exit_idx[j, 0])
    return {
        "result": RESULT.get(int(x.kind[j]), "none"),
        "exit_candle_ms": int(candles.open_time_ms[idx]) if idx >= 0 else None,
        "exit_price": float(x.exit_price[j, 0]),
    }


def _candle(candles: Candles, idx: int) -> dict[str, float] | None:
    if idx < 0:
        return None
    return {
        "open_time_ms": int(candles.open_time_ms[idx]),
        **{name: float(getattr(candles, name)[idx]) for name in ("open", "high", "low", "close")},
    }


def compare_full(ours: Exits, scan: Exits) -> dict[str, int]:
    """Every field of the full exit plan: kind, targets reached, each leg's candle and price."""
    same_kind = ours.kind == scan.kind
    same_legs = ours.legs_done == scan.legs_done
    same_idx = np.all(ours.exit_idx == scan.exit_idx, axis=1)
    same_price = np.all(
        (ours.exit_price == scan.exit_price)
        | (np.isnan(ours.exit_price) & np.isnan(scan.exit_price)),
        axis=1,
    )
    every = same_kind & same_legs & same_idx & same_price
    return {
        "compared": len(ours.kind),
        "same_close_kind": int(same_kind.sum()),
        "same_targets_reached": int(same_legs.sum()),
        "same_exit_candles": int(same_idx.sum()),
        "same_exit_prices": int(same_price.sum()),
        "all_fields": int(every.sum()),
    }
