"""Inputs of the settling benchmark: a seeded year of 1-minute candles, signals, real series.

The candles are BTC-like and built to look like an exchange's, not like a textbook walk:

- **volatility clustering:** a GARCH(1, 1) on the minute returns (α 0.04, β 0.955: a shock
  fades with a half-life of about 2 h), times a slow regime (calm / normal / stormy, about
  two weeks each on average, a Markov chain);
- **intraday and weekly seasonality:** activity peaks around 14–16 UTC and sags at night
  and on weekends;
- **fat tails:** Student-t innovations with 5 degrees of freedom;
- **high and low** drawn from the exact law of a Brownian bridge's extremes between the
  open and the close, so a candle's range grows with its volatility;
- **the open** is the previous close most of the time; otherwise it differs by a little
  noise, and rarely by a jump (news), so candles that open beyond a level occur;
- prices on a 0.01 tick, like BTCUSDT on Binance, so exact touches of a level occur.

The median move is about 0.06 % a minute and σ about 0.16 %: a busy BTC year (about
120 % annualised). That is what a median hold of about 200 candles with levels 1–2.5 %
away needs, since a random walk takes about (distance / σ)² steps to travel a distance.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigtrack.core.candles import MINUTE_MS, Candles

YEAR_MINUTES = 525_600
START_MS = 1_735_689_600_000  # 2025-01-01 00:00 UTC
TICK = 0.01
START_PRICE = 60_000.0
SIGMA_PER_MIN = 0.0013  # the GARCH's unconditional scale, before seasonality and regime
GARCH_ALPHA, GARCH_BETA = 0.04, 0.955
T_DOF = 5.0
REGIMES = (0.65, 1.0, 1.6)  # volatility multipliers: calm, normal, stormy
REGIME_STAY = 1.0 - 1.0 / (14 * 1440)  # mean stay about two weeks
OPEN_NOISE_SHARE = 0.35  # candles whose open is not exactly the previous close
OPEN_NOISE = 0.08  # ... they differ by this many sigmas of the minute
JUMP_RATE = 2e-5  # per minute: about 10 jumps a year at the open
JUMP_SIGMAS = 10.0


def year_of_candles(seed: int, minutes: int = YEAR_MINUTES) -> Candles:
    """A seeded year of BTC-like 1-minute candles (see the module docstring)."""
    rng = np.random.default_rng([seed, 1])
    t_scale = math.sqrt(T_DOF / (T_DOF - 2.0))
    z = rng.standard_t(T_DOF, minutes) / t_scale
    garch = _garch_sigma(z)
    sigma = SIGMA_PER_MIN * garch * _seasonality(minutes) * _regimes(rng, minutes)
    returns = sigma * z
    noisy = rng.random(minutes) < OPEN_NOISE_SHARE
    gaps = np.where(noisy, rng.normal(0.0, OPEN_NOISE, minutes) * sigma, 0.0)
    jumps = rng.random(minutes) < JUMP_RATE
    gaps[jumps] += rng.normal(0.0, JUMP_SIGMAS, int(jumps.sum())) * sigma[jumps]
    gaps[0] = 0.0
    log_close = np.cumsum(gaps + returns)
    log_open = log_close - returns
    # extremes of a Brownian bridge from 0 to r with variance sigma² over the minute
    spread = -2.0 * sigma**2
    up = 0.5 * (returns + np.sqrt(returns**2 + spread * np.log(rng.random(minutes))))
    down = 0.5 * (returns - np.sqrt(returns**2 + spread * np.log(rng.random(minutes))))
    open_ = _on_tick(START_PRICE * np.exp(log_open))
    close = _on_tick(START_PRICE * np.exp(log_close))
    high = np.maximum(_on_tick(START_PRICE * np.exp(log_open + up)), np.maximum(open_, close))
    low = np.minimum(_on_tick(START_PRICE * np.exp(log_open + down)), np.minimum(open_, close))
    volume = np.round(rng.lognormal(0.0, 0.6, minutes) * 40.0 * sigma / SIGMA_PER_MIN, 5)
    return Candles(
        open_time_ms=START_MS + np.arange(minutes, dtype=np.int64) * MINUTE_MS,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=volume,
    )


def _on_tick(prices: np.ndarray) -> np.ndarray:
    return np.round(prices / TICK) * TICK


def _garch_sigma(z: np.ndarray) -> np.ndarray:
    """σ_t / σ of a GARCH(1, 1) with unit unconditional variance, driven by z."""
    omega = 1.0 - GARCH_ALPHA - GARCH_BETA
    out = np.empty(len(z))
    var = 1.0
    alpha, beta = GARCH_ALPHA, GARCH_BETA
    for t, shock in enumerate(z.tolist()):
        out[t] = var
        var = omega + (alpha * shock * shock + beta) * var
    return np.sqrt(out)


def _seasonality(minutes: int) -> np.ndarray:
    t = np.arange(minutes)
    hour = (t % 1440) / 60.0
    weekday = (t // 1440 + 2) % 7  # 2025-01-01 was a Wednesday (Monday = 0)
    daily = 1.0 + 0.35 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    weekly = np.where(weekday >= 5, 0.75, 1.0)
    return daily * weekly


def _regimes(rng: np.random.Generator, minutes: int) -> np.ndarray:
    state = np.empty(minutes, dtype=np.int64)
    stays = rng.random(minutes) < REGIME_STAY
    moves = rng.integers(1, len(REGIMES), minutes)
    current = 1
    changes = np.flatnonzero(~stays)
    last = 0
    for at in changes.tolist():
        state[last:at] = current
        current = (current + int(moves[at])) % len(REGIMES)
        last = at
    state[last:] = current
    return np.asarray(REGIMES)[state]


# --- signals --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """How signals are drawn: level distances in % and the life in candles."""

    name: str
    stop_pct: tuple[float, float]  # uniform range of |entry − stop| / entry
    tp1_pct: tuple[float, float]
    tp2_factor: tuple[float, float]  # tp2 distance = tp1 distance × this
    life_candles: int


# Distances grow by √10 a row, so the median hold grows about 10× (a random walk needs
# (distance / σ)² minutes to travel a distance); the life grows with it. Calibrated so the
# median hold is about 200, 2,000 and 20,000 candles (the run reports the measured ones).
SCENARIOS = {
    "hold200": Scenario("hold200", (1.0, 2.5), (1.0, 2.5), (1.5, 2.0), 1_440),
    "hold2k": Scenario("hold2k", (3.5, 8.75), (3.5, 8.75), (1.5, 2.0), 14_400),
    "hold20k": Scenario("hold20k", (12.5, 31.25), (12.5, 31.25), (1.5, 2.0), 144_000),
}


@dataclass(frozen=True, slots=True)
class SignalArrays:
    """Signals as plain arrays: what sigtrack's `SignalBatch.from_arrays` and the peers take."""

    start: np.ndarray  # index of the first candle counted (the signal's own open time)
    end: np.ndarray  # index of the first candle at or after expiry (exclusive)
    is_long: np.ndarray
    entry: np.ndarray
    stop: np.ndarray
    targets: np.ndarray  # N × 2 (tp1, tp2)
    created_ms: np.ndarray
    life_ms: np.ndarray

    def __len__(self) -> int:
        return len(self.entry)

    def take(self, rows: np.ndarray | slice) -> SignalArrays:
        return SignalArrays(
            **{name: getattr(self, name)[rows] for name in SignalArrays.__dataclass_fields__}
        )


def draw_signals(
    candles: Candles,
    n: int,
    seed: int,
    scenario: Scenario,
    *,
    tick: float = TICK,
    scale: float = 1.0,
) -> SignalArrays:
    """N signals created at random candle open times, entry = that candle's open.

    LONG or SHORT at even odds; the stop, tp1 and tp2 distances drawn from the scenario
    (times `scale`), on the tick. Only signals whose whole life lies inside the data are
    drawn, so every one can be settled to the end.
    """
    rng = np.random.default_rng([seed, 2, n])
    times = candles.open_time_ms
    life_ms = scenario.life_candles * candles.step_ms
    last_start = int(np.searchsorted(times, times[-1] + candles.step_ms - life_ms, side="right"))
    if last_start <= 0:
        raise ValueError(f"the series is shorter than one life ({scenario.life_candles} candles)")
    start = np.sort(rng.integers(0, last_start, n))
    rng.shuffle(start)
    is_long = rng.random(n) < 0.5
    sign = np.where(is_long, 1.0, -1.0)
    entry = candles.open[start]
    stop_d = rng.uniform(*scenario.stop_pct, n) / 100.0 * scale
    tp1_d = rng.uniform(*scenario.tp1_pct, n) / 100.0 * scale
    tp2_d = tp1_d * rng.uniform(*scenario.tp2_factor, n)
    stop = _level(entry, -sign * stop_d, tick)
    tp1 = _level(entry, sign * tp1_d, tick)
    tp2 = _level(entry, sign * tp2_d, tick)
    tp2 = np.where(sign * tp2 > sign * tp1, tp2, tp1 + sign * tick)
    created_ms = times[start]
    return SignalArrays(
        start=start.astype(np.int64),
        end=np.searchsorted(times, created_ms + life_ms).astype(np.int64),
        is_long=is_long,
        entry=entry,
        stop=stop,
        targets=np.stack([tp1, tp2], axis=1),
        created_ms=created_ms,
        life_ms=np.full(n, life_ms, dtype=np.int64),
    )


def _level(entry: np.ndarray, move: np.ndarray, tick: float) -> np.ndarray:
    """entry × (1 + move) on the tick, at least one tick away from the entry."""
    raw = np.round(entry * (1.0 + move) / tick) * tick
    away = np.sign(move) * (raw - entry) >= tick * 0.999
    return np.where(away, raw, entry + np.sign(move) * tick)


# --- real series ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RealSeries:
    name: str
    candles: Candles
    tick: float  # the finest price step seen in the file
    sigma: float  # standard deviation of the candle-to-candle log returns
    gaps: int  # missing candle slots inside the file


def real_series(folder: Path, min_rows: int = 500) -> list[RealSeries]:
    """Every candle file in `folder` with at least `min_rows` rows, checked by `Candles`."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        step = _step_of(path.stem)
        if step is None:
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
        if len(rows) < min_rows:
            continue
        table = np.array([[float(x) for x in row[:6]] for row in rows])
        candles = Candles(
            open_time_ms=table[:, 0].astype(np.int64),
            open=table[:, 1],
            high=table[:, 2],
            low=table[:, 3],
            close=table[:, 4],
            volume=table[:, 5],
            step_ms=step,
        )
        prices = np.concatenate([table[:, 1:5].ravel()])
        found.append(
            RealSeries(
                name=path.name,
                candles=candles,
                tick=_tick_of(prices),
                sigma=float(np.std(np.diff(np.log(table[:, 4])))),
                gaps=sum(g.missing for g in candles.gaps()),
            )
        )
    return found


def _step_of(stem: str) -> int | None:
    for part in reversed(stem.replace("-", "_").split("_")):
        if part[:-1].isdigit() and part[-1] in "mh":
            return int(part[:-1]) * (60 if part[-1] == "h" else 1) * MINUTE_MS
    return None


def _tick_of(prices: np.ndarray) -> float:
    """The coarsest power of ten, below the lowest price, that every price is a multiple of."""
    top = int(np.floor(np.log10(np.min(prices)))) - 1
    for exponent in range(top, -13, -1):
        tick = 10.0**exponent
        steps = prices / tick
        if np.all(np.abs(steps - np.round(steps)) < 1e-6 * np.maximum(1.0, steps) + 1e-9):
            return tick
    return 10.0**-12


# --- one signal per rule ------------------------------------------------------------------------

RULE_EVENTS = {
    "touches the target": (100.2, 102.0, 100.1, 101.5),
    "touches the stop": (100.2, 100.4, 98.0, 98.5),
    "opens between, reaches both (ambiguous)": (100.2, 102.5, 97.5, 100.0),
    "opens beyond the stop": (97.0, 97.5, 96.5, 97.2),
    "opens beyond the target": (103.0, 103.5, 102.5, 103.2),
    "opens beyond the target, then reaches the stop": (103.0, 103.5, 97.5, 98.0),
    "reaches neither (expires)": (100.2, 100.8, 99.6, 100.4),
}


def rule_cases() -> list[tuple[str, str, Candles, SignalArrays]]:
    """(rule, side, candles, one signal) for every same-candle rule of DESIGN §3.

    Entry 100, stop 98, target 102 (SHORT: mirrored around 100), a life of three
    1-minute candles: the signal's own candle (quiet, opening at the entry), the candle of
    the rule, and a flat one at its close.
    """
    cases = []
    for side, mirror in (("LONG", False), ("SHORT", True)):
        for rule, event in RULE_EVENTS.items():
            rows = [(100.0, 100.5, 99.5, 100.2), event, (event[3],) * 4]
            if mirror:
                rows = [(200 - o, 200 - lo, 200 - hi, 200 - c) for o, hi, lo, c in rows]
            table = np.array(rows)
            candles = Candles(
                open_time_ms=START_MS + np.arange(3, dtype=np.int64) * MINUTE_MS,
                open=table[:, 0],
                high=table[:, 1],
                low=table[:, 2],
                close=table[:, 3],
                volume=np.ones(3),
            )
            sign = -1.0 if mirror else 1.0
            signal = SignalArrays(
                start=np.array([0]),
                end=np.array([3]),
                is_long=np.array([not mirror]),
                entry=np.array([100.0]),
                stop=np.array([100.0 - 2 * sign]),
                targets=np.array([[100.0 + 2 * sign, 100.0 + 4 * sign]]),
                created_ms=np.array([START_MS]),
                life_ms=np.array([3 * MINUTE_MS]),
            )
            cases.append((rule, side, candles, signal))
    return cases
