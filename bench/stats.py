"""Statistics benchmark: winrate, breakdowns, the weekly report and a TP/SL what-if grid.

    .venv/bin/python bench/stats.py [--quick] [--rows N] [--backends sqlite,postgresql]

In a store of `--rows` settled signals (1,000,000 by default) spread over a year, with a
year of user commands beside them, on SQLite and on PostgreSQL, it times through the public
API `Tracker.winrate(30)`, `Tracker.stats(by)` for every breakdown key and
`Tracker.weekly_report`, each cold (the first call of a freshly opened Tracker) and warm
(median and worst of the repeats). Then a 10 × 10 TP/SL what-if grid of 100,000 signals
over a generated year of 1-minute candles, on the grid engine `core/whatif.py` runs
(`SettlingGrid`), once more cell by cell with `settle_many` for comparison, and end to end
through `Tracker.whatif`. Prints a table against the
targets and writes `bench/results/stats-<date>.json` with where the time goes (query
plans, statements, the steps of the weekly report). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, func, select, text

import sigtrack.core.render.report as report_rendering
import sigtrack.services.analysis as analysis_module
import sigtrack.services.reports as reports_module
from sigtrack import Tracker
from sigtrack.adapters.market.files import FileCandleSource
from sigtrack.adapters.storage import create_store_engine, rollups
from sigtrack.adapters.storage.tables import signals as signals_table
from sigtrack.config import Settings
from sigtrack.core.batch_signals import SignalBatch
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.candles import Candles
from sigtrack.core.grid_resolution import GridSignals, SettlingGrid
from sigtrack.core.outcomes import CloseKind, exit_reason_for, result_for
from sigtrack.core.policy import DEFAULT_POLICY, ResolutionPolicy
from sigtrack.core.report import parse_week
from sigtrack.core.resolution import CandleIndex, settle_many
from sigtrack.core.signals import derive_tags
from sigtrack.core.stats import cohort_start
from store import (
    check_winrate,
    copy_postgres,
    fresh_postgres_database,
    insert_sqlite,
    machine_info,
    postgres_after_fill,
    source_version,
)

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")
console = Console()
if not console.is_terminal:
    console = Console(width=160)


# --- what to run ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Params:
    rows: int  # signals in the store
    commands_per_day: int  # user commands in the activity table (mean, growing over the year)
    winrate_runs: int  # warm repeats after the cold call
    breakdown_runs: int  # over the default 30 days
    year_breakdown_runs: int  # over 365 days: every signal
    weekly_runs: int
    op_budget_s: float  # stop repeating an operation after this long (one warm run at least)
    whatif_signals: int
    whatif_symbols: int
    whatif_days: int  # of 1-minute candles per symbol
    whatif_runs: int  # times the whole grid is run
    only_weekly: bool = False  # after the fill: the weekly report alone (--only-weekly)


FULL = Params(
    rows=1_000_000,
    commands_per_day=1_500,
    winrate_runs=20,
    breakdown_runs=7,
    year_breakdown_runs=2,
    weekly_runs=3,
    op_budget_s=45.0,
    whatif_signals=100_000,
    whatif_symbols=4,
    whatif_days=365,
    whatif_runs=2,
)
QUICK = Params(
    rows=50_000,
    commands_per_day=300,
    winrate_runs=5,
    breakdown_runs=3,
    year_breakdown_runs=2,
    weekly_runs=2,
    op_budget_s=5.0,
    whatif_signals=20_000,
    whatif_symbols=2,
    whatif_days=90,
    whatif_runs=1,
)

# Targets of the issue, in ms (winrate(30), each breakdown, the weekly report, the grid).
TARGETS_MS = {"winrate": 100.0, "breakdown": 500.0, "weekly": 2_000.0, "whatif": 10_000.0}
TARGET_DISTANCES_R = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
BREAKDOWN_DAYS = (30, 365)  # the default window, and the whole year
STOP_DISTANCES_R = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)


# --- the market the signals live in -------------------------------------------------

# symbol: (price, yearly volatility, share of the signals, winrate effect)
SYMBOLS: dict[str, tuple[float, float, float, float]] = {
    "BTCUSDT": (65_000.0, 0.55, 14, 0.02), "ETHUSDT": (3_400.0, 0.70, 11, 0.01),
    "SOLUSDT": (150.0, 0.90, 9, 0.0), "BNBUSDT": (600.0, 0.60, 5, 0.01),
    "XRPUSDT": (0.6, 0.90, 7, 0.0), "DOGEUSDT": (0.15, 1.00, 7, -0.02),
    "ADAUSDT": (0.45, 0.90, 4, 0.0), "AVAXUSDT": (35.0, 1.00, 4, 0.0),
    "LINKUSDT": (15.0, 0.95, 4, 0.01), "DOTUSDT": (7.0, 0.90, 3, 0.0),
    "LTCUSDT": (80.0, 0.80, 3, 0.0), "TRXUSDT": (0.12, 0.60, 2, 0.0),
    "ATOMUSDT": (9.0, 0.90, 2, -0.01), "NEARUSDT": (6.0, 1.10, 3, 0.0),
    "APTUSDT": (9.0, 1.10, 2, 0.0), "ARBUSDT": (1.1, 1.10, 3, -0.02),
    "OPUSDT": (2.3, 1.10, 2, 0.0), "SUIUSDT": (1.5, 1.30, 4, 0.0),
    "INJUSDT": (25.0, 1.20, 2, 0.0), "PEPEUSDT": (0.00001, 1.50, 5, -0.08),
    "WIFUSDT": (2.5, 1.60, 3, -0.07), "FILUSDT": (5.0, 1.00, 1, 0.0),
}  # fmt: skip
SYMBOL_NAMES = tuple(SYMBOLS)
SYMBOL_PRICE = np.array([v[0] for v in SYMBOLS.values()])
SYMBOL_SHARE = np.array([v[2] for v in SYMBOLS.values()], dtype=float) / sum(
    v[2] for v in SYMBOLS.values()
)
SYMBOL_EDGE = np.array([v[3] for v in SYMBOLS.values()])
# timeframe: (minutes, share, stop distance factor, winrate effect)
TIMEFRAMES = {"5m": (5, 0.25, 0.6, -0.03), "15m": (15, 0.35, 0.8, 0.0),
              "1h": (60, 0.28, 1.0, 0.01), "4h": (240, 0.12, 1.6, 0.02)}  # fmt: skip
TF_NAMES = tuple(TIMEFRAMES)
TF_MINUTES = np.array([v[0] for v in TIMEFRAMES.values()])
TF_SHARE = np.array([v[1] for v in TIMEFRAMES.values()])
TF_RISK = np.array([v[2] for v in TIMEFRAMES.values()])
TF_EDGE = np.array([v[3] for v in TIMEFRAMES.values()])
STRATEGIES = ("v1", "v2", "v3")
STRATEGY_EDGE = np.array([-0.04, 0.0, 0.04])
REASON_SETS = (
    ("Near demand zone", "Dip: -3.2%"),
    ("Near supply zone", "Pump: +4.1%"),
    ("Momentum breakout", "Volume spike x3"),
    ("Bullish reversal", "RSI oversold (27)"),
    ("Bearish reversal", "RSI overbought (74)"),
    ("Near demand zone", "Momentum up", "EMA50 reclaimed"),
    ("EMA cross", "Volume spike x2"),  # no tag
)
REASONS_JSON = [json.dumps(list(r)) for r in REASON_SETS]
TAGS_JSON = [json.dumps(list(derive_tags(r))) for r in REASON_SETS]
LIFE_TIMEFRAMES = DEFAULT_POLICY.expire_after_timeframes  # 96 candles of the timeframe
RULE = DEFAULT_POLICY.describe()
YEAR_S = 365 * 86_400
COMMANDS = {"/signal": 30, "/price": 20, "/track": 15, "/winrate": 12, "/stats": 8,
            "/report": 6, "/start": 5, "/help": 4}  # fmt: skip


# --- the signals -------------------------------------------------------------------------

SIGNAL_COLUMNS = (
    "id", "signal_id", "user_id", "symbol", "side", "timeframe", "entry", "targets", "sl",
    "confidence", "reasons", "tags", "strategy", "source", "exchange", "market",
    "created_at", "recorded_at", "status", "result", "exit_reason", "pnl_pct", "closed_at",
    "r_multiple", "mfe_pct", "mae_pct", "ambiguous", "rule", "tp1_hit_at", "outcome",
)  # fmt: skip
ACTIVITY_COLUMNS = ("at", "user_id", "username", "command", "symbol", "timeframe")
FILL_CHUNK = 50_000

# How a plan ended: exit reason, result, R for the whole position (plan 0.5 / 0.5, stop
# to entry after TP1), legs reached, close kind.
ENDINGS = {
    "TP2": ("WIN", 1.5, 2, CloseKind.TARGET),
    "TP1_BE": ("WIN", 0.5, 1, CloseKind.STOP),
    "TP1_EXPIRED": ("WIN", None, 1, CloseKind.EXPIRY),
    "TP1": ("WIN", 1.0, 1, CloseKind.TARGET),  # single-target signals
    "SL": ("LOSS", -1.0, 0, CloseKind.STOP),
    "TIMEOUT": ("EXPIRED", None, 0, CloseKind.EXPIRY),
}


def creation_seconds(rows: int, now_s: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct creation seconds over the year before `now`, the volume growing (the bot
    gains users): about 0.6× the mean rate at the start, 1.4× at the end."""
    u = np.sort(rng.random(rows))
    # inverse of the CDF of a density rising linearly from 0.6 to 1.4
    f = (-0.6 + np.sqrt(0.36 + 1.6 * u)) / 0.8
    seconds = (now_s - YEAR_S + f * (YEAR_S - 3_600)).astype(np.int64)
    return np.maximum.accumulate(seconds - np.arange(rows)) + np.arange(rows)


@dataclass(slots=True)
class SignalDraw:
    """The columns of a chunk of signals, as arrays."""

    created: np.ndarray
    symbol: np.ndarray
    timeframe: np.ndarray
    is_long: np.ndarray
    entry: np.ndarray
    risk_pct: np.ndarray
    two_targets: np.ndarray
    confidence: np.ndarray  # NaN: none
    reasons: np.ndarray
    strategy: np.ndarray
    user: np.ndarray
    ending: np.ndarray  # key of ENDINGS, "MANUAL" or "CANCELLED"
    manual_result: np.ndarray
    r: np.ndarray
    hold_s: np.ndarray
    tp1_s: np.ndarray
    mfe_r: np.ndarray
    mae_r: np.ndarray
    ambiguous: np.ndarray


def draw_signals(created: np.ndarray, now_s: int, rng: np.random.Generator) -> SignalDraw:
    n = len(created)
    year_part = (created - (now_s - YEAR_S)) / YEAR_S  # 0 a year ago, 1 now
    symbol = rng.choice(len(SYMBOL_NAMES), size=n, p=SYMBOL_SHARE)
    timeframe = rng.choice(len(TF_NAMES), size=n, p=TF_SHARE)
    # v1 until ~40 % of the year, v2 until ~72 %, then v3; a month of overlap each time
    shifted = year_part + rng.uniform(-0.04, 0.04, n)
    strategy = np.where(shifted < 0.40, 0, np.where(shifted < 0.72, 1, 2))
    confidence = np.clip(np.round(rng.normal(78, 10, n)), 50, 100)
    confidence[rng.random(n) < 0.10] = np.nan
    p_win = (
        0.47
        + STRATEGY_EDGE[strategy]
        + SYMBOL_EDGE[symbol]
        + TF_EDGE[timeframe]
        + np.nan_to_num(0.004 * (confidence - 78))
    ).clip(0.15, 0.85)
    two_targets = rng.random(n) < 0.9
    u, v = rng.random(n), rng.random(n)
    won = u < p_win
    ending = np.where(
        v < 0.12,
        "TIMEOUT",
        np.where(
            ~won,
            "SL",
            np.where(~two_targets, "TP1", np.where(v < 0.45, "TP2", np.where(v < 0.88, "TP1_BE",
                     "TP1_EXPIRED"))),
        ),
    ).astype(object)  # fmt: skip
    by_hand = rng.random(n)
    ending[by_hand < 0.04] = "MANUAL"
    ending[by_hand < 0.005] = "CANCELLED"
    manual_result = rng.choice(np.array(["WIN", "LOSS", "BREAKEVEN"]), size=n, p=[0.45, 0.4, 0.15])
    r = np.select(
        [ending == "TP2", ending == "TP1_BE", ending == "TP1", ending == "SL",
         ending == "TP1_EXPIRED", ending == "TIMEOUT"],
        [np.full(n, 1.5), np.full(n, 0.5), np.full(n, 1.0), np.full(n, -1.0),
         0.5 + 0.5 * rng.uniform(-0.8, 1.8, n), rng.uniform(-0.9, 0.9, n)],
        np.nan,
    )  # fmt: skip
    life_s = LIFE_TIMEFRAMES * TF_MINUTES[timeframe] * 60
    expires = np.isin(ending, ["TIMEOUT", "TP1_EXPIRED"])
    hold_s = np.where(expires, life_s, np.maximum(60, life_s * rng.random(n) ** 1.8))
    hold_s = np.where(np.isin(ending, ["MANUAL", "CANCELLED"]), rng.uniform(600, 2 * 86_400, n),
                      hold_s)  # fmt: skip
    tp1_s = np.where(ending == "TP1", hold_s, hold_s * rng.uniform(0.1, 0.9, n))
    mfe_r = np.where(
        ending == "TP2", 2 + rng.exponential(0.5, n),
        np.where(np.char.startswith(ending.astype(str), "TP"), 1 + rng.uniform(0, 1, n),
                 rng.uniform(0, 0.95, n)),
    )  # fmt: skip
    mae_r = np.where(ending == "SL", -1 - rng.exponential(0.1, n), -rng.uniform(0, 0.95, n))
    return SignalDraw(
        created=created,
        symbol=symbol,
        timeframe=timeframe,
        is_long=rng.random(n) < 0.58,
        entry=SYMBOL_PRICE[symbol]
        * np.exp(0.25 * np.sin(6.0 * year_part + symbol))
        * (1 + 0.02 * rng.standard_normal(n)),
        risk_pct=rng.uniform(0.5, 2.5, n) * TF_RISK[timeframe],
        two_targets=two_targets,
        confidence=confidence,
        reasons=rng.integers(len(REASON_SETS), size=n),
        strategy=strategy,
        user=6_000_000_000 + rng.integers(0, 400, n) * 7_919,
        ending=ending,
        manual_result=manual_result,
        r=r,
        hold_s=hold_s.astype(np.int64),
        tp1_s=tp1_s.astype(np.int64),
        mfe_r=mfe_r,
        mae_r=mae_r,
        ambiguous=rng.random(n) < 0.008,
    )


class TimeText:
    """UTC seconds as the store keeps them: naive text on SQLite (what SQLAlchemy's DateTime
    writes there), timestamptz input on PostgreSQL."""

    def __init__(self, postgres: bool) -> None:
        self.suffix = "+00" if postgres else ""

    def many(self, seconds: np.ndarray) -> list[str]:
        texts = np.datetime_as_string(seconds.astype("datetime64[s]").astype("datetime64[us]"))
        return [t.replace("T", " ") + self.suffix for t in texts.tolist()]


def _iso_z(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def outcome_json(
    *, status: str, result: str | None, ending: str, closed_s: int | None, pnl: float | None,
    r: float | None, ambiguous: bool, mfe: float, mae: float, entry: float, stop: float,
    targets: list[float], tp1_s: int | None, next_s: int, sign: float,
) -> str:  # fmt: skip
    """An outcome as `Outcome.to_json()` writes it (the shape the settling pass stores)."""
    _, _, legs_done, kind = ENDINGS[ending]
    fractions = [0.5, 0.5] if len(targets) == 2 else [1.0]
    legs = []
    for j, (target, fraction) in enumerate(zip(targets, fractions, strict=True)):
        hit = tp1_s if j == 0 else closed_s
        reached = j < legs_done and hit is not None
        exit_s = hit if reached else closed_s
        exit_price = target if reached else (entry if legs_done else stop) if closed_s else None
        legs.append({
            "target": target, "fraction": fraction, "hit_at": _iso_z(hit if reached else None),
            "exit_at": _iso_z(exit_s), "exit_price": exit_price,
            "hit_ms": hit * 1000 if reached else None,
            "exit_ms": exit_s * 1000 if exit_s is not None else None,
        })  # fmt: skip
    fav = sign * entry * (1 + mfe / 100)
    adv = -sign * entry * (1 + mae / 100)
    return json.dumps({
        "status": status, "result": result, "exit_reason": ending if closed_s else None,
        "closed_at": _iso_z(closed_s), "pnl_pct": pnl, "r_multiple": r, "ambiguous": ambiguous,
        "rule": RULE, "mfe_pct": mfe, "mae_pct": mae, "horizon_mfe_pct": mfe,
        "horizon_mae_pct": mae, "horizon_complete": closed_s is not None, "gaps": 0,
        "legs": legs,
        "progress": {
            "legs_done": legs_done if closed_s else min(legs_done, 1 if tp1_s else 0),
            "stop": entry if legs_done and closed_s else stop, "next_ms": next_s * 1000,
            "fav_max": fav, "adv_max": adv, "last_close": entry, "gaps": 0,
            "is_ambiguous": ambiguous, "horizon_next_ms": next_s * 1000,
            "horizon_fav_max": fav, "horizon_adv_max": adv,
            "horizon_complete": closed_s is not None,
            "close_kind": int(kind) if closed_s else int(CloseKind.OPEN),
        },
    })  # fmt: skip


def signal_rows(
    d: SignalDraw, first_pk: int, now_s: int, postgres: bool, cached: list[str] | None = None
) -> tuple[list[tuple[Any, ...]], int, list[str]]:
    """The signals rows of a chunk, each value as sigtrack's column types store it; how many
    of them are still open at `now`; and their outcome JSON texts ("" where there is none),
    the same on every backend, so that a second backend can take them from `cached`."""
    times = TimeText(postgres)
    sign = np.where(d.is_long, 1.0, -1.0)
    stop = d.entry * (1 - sign * d.risk_pct / 100)
    tp1 = d.entry * (1 + sign * d.risk_pct / 100)
    tp2 = d.entry * (1 + 2 * sign * d.risk_pct / 100)
    closed_s = -(-(d.created + d.hold_s) // 60) * 60
    tp1_s = -(-(d.created + d.tp1_s) // 60) * 60
    created_txt, closed_txt, tp1_txt = (
        times.many(d.created),
        times.many(closed_s),
        times.many(tp1_s),
    )
    rows, still_open, outcomes = [], 0, cached or []
    for i in range(len(d.created)):
        ending = str(d.ending[i])
        entry, risk = float(d.entry[i]), float(d.risk_pct[i])
        targets = [float(tp1[i]), float(tp2[i])] if d.two_targets[i] else [float(tp1[i])]
        is_open = int(closed_s[i]) > now_s and ending not in ("MANUAL", "CANCELLED")
        still_open += is_open
        confidence = None if np.isnan(d.confidence[i]) else float(d.confidence[i])
        symbol, created = SYMBOL_NAMES[d.symbol[i]], int(d.created[i])
        base = (
            first_pk + i, f"{int(d.user[i])}_{symbol}_{created}", int(d.user[i]), symbol,
            "LONG" if d.is_long[i] else "SHORT", TF_NAMES[d.timeframe[i]], entry,
            json.dumps(targets), float(stop[i]), confidence, REASONS_JSON[d.reasons[i]],
            TAGS_JSON[d.reasons[i]], STRATEGIES[d.strategy[i]], "autosignal", "binance", "usdm",
            created_txt[i], created_txt[i],
        )  # fmt: skip
        if ending in ("MANUAL", "CANCELLED"):
            result = "CANCELLED" if ending == "CANCELLED" else str(d.manual_result[i])
            by_result = {
                "WIN": 0.3 + float(d.mfe_r[i]),
                "LOSS": float(d.mae_r[i]),
                "BREAKEVEN": 0.0,
            }
            pnl = round(by_result[result] * risk, 3) if result in by_result else None
            rows.append((*base, "CLOSED", result, "MANUAL", pnl, closed_txt[i],
                         None, None, None, None, None, None, None))  # fmt: skip
            if cached is None:
                outcomes.append("")
            continue
        r = float(d.r[i])
        mfe, mae = float(d.mfe_r[i]) * risk, float(d.mae_r[i]) * risk
        ambiguous = bool(d.ambiguous[i])
        hit_tp1 = ending.startswith("TP") and int(tp1_s[i]) <= now_s
        outcome = cached[i] if cached is not None else outcome_json(
            status="ACTIVE" if is_open else "CLOSED",
            result=None if is_open else ENDINGS[ending][0], ending=ending,
            closed_s=None if is_open else int(closed_s[i]),
            pnl=None if is_open else round(r * risk, 4), r=None if is_open else r,
            ambiguous=ambiguous, mfe=mfe, mae=mae, entry=entry, stop=float(stop[i]),
            targets=targets, tp1_s=int(tp1_s[i]) if hit_tp1 else None,
            next_s=min(int(closed_s[i]), now_s), sign=float(sign[i]),
        )  # fmt: skip
        if cached is None:
            outcomes.append(outcome)
        flag: Any = ambiguous if postgres else int(ambiguous)
        if is_open:
            rows.append((*base, "ACTIVE", None, None, None, None, None, mfe, mae, flag, RULE,
                         tp1_txt[i] if hit_tp1 else None, outcome))  # fmt: skip
        else:
            rows.append((*base, "CLOSED", ENDINGS[ending][0], ending, round(r * risk, 4),
                         closed_txt[i], r, mfe, mae, flag, RULE,
                         tp1_txt[i] if hit_tp1 else None, outcome))  # fmt: skip
    return rows, still_open, outcomes


def activity_rows(
    per_day: int, now_s: int, rng: np.random.Generator, postgres: bool
) -> Iterator[list[tuple[Any, ...]]]:
    """A year of user commands, a day at a time: more on weekdays and as the bot grows."""
    times = TimeText(postgres)
    users = 6_000_000_000 + np.arange(400) * 7_919
    weights = 1.0 / np.arange(1, 401) ** 0.8  # a few users send most commands
    weights /= weights.sum()
    names, shares = np.array(list(COMMANDS)), np.array(list(COMMANDS.values()), dtype=float)
    shares /= shares.sum()
    first_day = (now_s - YEAR_S) // 86_400 * 86_400
    for day in range(366):
        start = first_day + day * 86_400
        if start >= now_s:
            return
        weekday = datetime.fromtimestamp(start, UTC).weekday()
        mean = per_day * (0.6 + 0.8 * day / 365) * (0.8 if weekday >= 5 else 1.08)
        n = int(rng.poisson(mean))
        at = np.sort(start + rng.integers(0, 86_400, n))
        at = at[at < now_s]
        who = rng.choice(len(users), size=len(at), p=weights)
        command = rng.choice(names, size=len(at), p=shares)
        symbol = rng.choice(len(SYMBOL_NAMES), size=len(at), p=SYMBOL_SHARE)
        timeframe = rng.choice(len(TF_NAMES), size=len(at), p=TF_SHARE)
        at_txt = times.many(at)
        yield [
            (
                at_txt[i], int(users[who[i]]), None if who[i] % 5 == 0 else f"trader{who[i]}",
                str(command[i]),
                SYMBOL_NAMES[symbol[i]] if command[i] in ("/signal", "/price", "/track") else None,
                TF_NAMES[timeframe[i]] if command[i] == "/signal" else None,
            )
            for i in range(len(at))
        ]  # fmt: skip


# --- the fill -------------------------------------------------------------------------------


@dataclass(slots=True)
class Filled:
    seconds: float = 0.0
    signals: int = 0
    open: int = 0
    commands: int = 0
    size_mb: float = 0.0


def fill_store(url: str, p: Params, now: datetime, seed: int, cache: Path) -> Filled:
    """Bulk-load the signals and a year of commands below the API (sqlite3 executemany,
    PostgreSQL COPY). The same seed gives the same rows on both backends; the outcome JSON
    texts, the costly part to make, are kept in `cache` for the next backend."""
    engine = create_store_engine(url)
    postgres = engine.dialect.name == "postgresql"
    write = copy_postgres if postgres else insert_sqlite
    now_s = int(now.timestamp())
    filled = Filled()
    start = time.perf_counter()
    try:
        created = creation_seconds(p.rows, now_s, np.random.default_rng([seed, 1]))
        for lo in range(0, p.rows, FILL_CHUNK):
            hi = min(p.rows, lo + FILL_CHUNK)
            draw = draw_signals(created[lo:hi], now_s, np.random.default_rng([seed, 2, lo]))
            kept = cache / f"outcomes-{seed}-{now_s}-{lo}.txt"
            cached = kept.read_text(encoding="utf-8").split("\n") if kept.exists() else None
            rows, still_open, outcomes = signal_rows(draw, lo + 1, now_s, postgres, cached)
            if cached is None:
                kept.write_text("\n".join(outcomes), encoding="utf-8")
            with engine.begin() as conn:
                write(conn, "signals", SIGNAL_COLUMNS, rows)
            filled.signals += len(rows)
            filled.open += still_open
            console.print(f"    signals {hi:,} / {p.rows:,}", end="\r")
        with engine.begin() as conn:  # below the API: mark the days, as the API's writes do
            rollups.mark_all_days(conn)
        rng = np.random.default_rng([seed, 3])
        with engine.begin() as conn:
            for day in activity_rows(p.commands_per_day, now_s, rng, postgres):
                write(conn, "activity", ACTIVITY_COLUMNS, day)
                filled.commands += len(day)
        if postgres:
            postgres_after_fill(engine, ("signals", "activity"))
        filled.seconds = time.perf_counter() - start
        filled.size_mb = database_size_mb(engine)
    finally:
        engine.dispose()
    console.print(
        f"    {filled.signals:,} signals ({filled.open:,} open) and {filled.commands:,} "
        f"commands in {filled.seconds:.0f} s; {filled.size_mb:,.0f} MB"
    )
    return filled


def database_size_mb(engine: Engine) -> float:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
        else:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            size = int(pages or 0) * int(conn.exec_driver_sql("PRAGMA page_size").scalar() or 0)
    return int(size or 0) / 1e6


# --- timing ------------------------------------------------------------------------------


@dataclass(slots=True)
class Timing:
    """One operation on one backend: the cold call, then the warm repeats (ms)."""

    op: str
    kind: str  # winrate | breakdown | weekly | whatif | extra
    backend: str
    samples_ms: list[float]
    target_ms: float | None = None
    note: str = ""

    @property
    def cold_ms(self) -> float:
        return self.samples_ms[0]

    @property
    def warm_ms(self) -> list[float]:
        return self.samples_ms[1:] or self.samples_ms

    @property
    def median_ms(self) -> float:
        return statistics.median(self.warm_ms)

    @property
    def worst_ms(self) -> float:
        return max(self.warm_ms)

    @property
    def met(self) -> bool | None:
        return None if self.target_ms is None else self.median_ms <= self.target_ms

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "cold_ms": self.cold_ms, "median_ms": self.median_ms, "worst_ms": self.worst_ms,
            "warm_runs": len(self.warm_ms), "met": self.met,
        }  # fmt: skip


def time_once(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1e6


def repeat(call: Callable[[], object], runs: int, budget_s: float) -> list[float]:
    """The first call, then up to `runs` more while the budget lasts (one at least)."""
    samples = [time_once(call)]
    spent = samples[0] / 1e3
    while len(samples) <= runs and (len(samples) < 2 or spent < budget_s):
        samples.append(time_once(call))
        spent += samples[-1] / 1e3
    return samples


@contextmanager
def opened(url: str) -> Iterator[Tracker]:
    """A freshly opened Tracker (empty pool, SQLite page cache and SQLAlchemy caches warm
    only from earlier trackers in this process) with sigtrack's defaults, no env / TOML."""
    tracker = Tracker.open(settings=Settings(database_url=url))
    try:
        yield tracker
    finally:
        tracker.dispose()


# --- where the time goes ------------------------------------------------------------------


@dataclass(slots=True)
class Statement:
    sql: str
    params: Any
    clause: Any = None  # the SQLAlchemy statement, to run it again with row processing


@contextmanager
def capturing(engine: Engine) -> Iterator[list[Statement]]:
    """The statements sent through SQLAlchemy on `engine` while active."""
    seen: list[Statement] = []
    clauses: list[Any] = []

    def before_execute(_conn: Any, clause: Any, *_: Any) -> None:
        clauses.append(clause)

    def before_cursor(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append(Statement(sql, params, clauses.pop() if clauses else None))
        clauses.clear()

    event.listen(engine, "before_execute", before_execute)
    event.listen(engine, "before_cursor_execute", before_cursor)
    try:
        yield seen
    finally:
        event.remove(engine, "before_execute", before_execute)
        event.remove(engine, "before_cursor_execute", before_cursor)


def statement_anatomy(
    engine: Engine, statements: Sequence[Statement], *, through_sqlalchemy: bool = False
) -> list[dict[str, Any]]:
    """Each statement again, alone: on the DBAPI cursor (execute + fetchall: the database
    and the driver only), optionally through SQLAlchemy too (adding its row processing:
    JSON and datetime columns), and its plan (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL
    `EXPLAIN ANALYZE`)."""
    out = []
    for statement in statements:
        if statement.sql.lstrip().upper().startswith(("PRAGMA", "SELECT PG_", "SHOW")):
            continue
        if statement.sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            continue  # a rollup rebuild's writes: timed with the call, never run again
        driver_ms, rows, plan = _on_the_cursor(engine, statement)
        entry = {"sql": " ".join(statement.sql.split()), "params": statement.params,
                 "rows": rows, "driver_ms": round(driver_ms, 2)}  # fmt: skip
        if through_sqlalchemy and statement.clause is not None:
            with engine.connect() as conn:
                start = time.perf_counter_ns()
                conn.execute(statement.clause).all()
                entry["sqlalchemy_ms"] = round((time.perf_counter_ns() - start) / 1e6, 2)
        out.append(entry | {"plan": plan})
    return out


def _on_the_cursor(engine: Engine, statement: Statement) -> tuple[float, int, str]:
    postgres = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = time.perf_counter_ns()
        cursor.execute(statement.sql, statement.params or ())
        rows = len(cursor.fetchall())
        driver_ms = (time.perf_counter_ns() - start) / 1e6
        if postgres:
            explain = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
            cursor.execute(explain + statement.sql, statement.params or None)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params or ())
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return driver_ms, rows, plan


@dataclass(slots=True)
class Step:
    depth: int
    name: str
    detail: str
    ms: float
    rows: int | None


class StepTimer:
    """Times the steps of a call by wrapping functions and store methods (nested steps
    are kept in call order with their depth)."""

    def __init__(self) -> None:
        self.steps: list[Step | None] = []
        self.depth = 0

    def wrap(self, name: str, fn: Callable[..., Any], *, consume: bool = False) -> Any:
        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            index, depth = len(self.steps), self.depth
            self.steps.append(None)
            self.depth += 1
            start = time.perf_counter_ns()
            try:
                out = fn(*args, **kwargs)
                if consume:
                    out = list(out)
            finally:
                self.depth -= 1
            ms = (time.perf_counter_ns() - start) / 1e6
            rows = len(out) if hasattr(out, "__len__") else None
            self.steps[index] = Step(depth, name, describe(args, kwargs), ms, rows)
            return iter(out) if consume else out

        return timed

    def done(self) -> list[Step]:
        return [s for s in self.steps if s is not None]


def describe(args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """A short account of a step's arguments (filters and windows by their span)."""
    parts = []
    for value in [*args, *kwargs.values()]:
        if hasattr(value, "describe") and hasattr(value, "since"):  # a SignalFilter
            days = None
            if value.since is not None and value.until is not None:
                days = (value.until - value.since).total_seconds() / 86_400
            span = f"{days:g} days" if days is not None else "all time"
            parts.append(f"{span}{f', strategy={value.strategy}' if value.strategy else ''}")
        elif isinstance(value, BreakdownKey):
            parts.append(f"by {value.value}")
    return "; ".join(parts)


REPORT_FUNCTIONS = ("summarize", "compare", "equity_curve", "summarize_activity", "breakdown_for",
                    "advise_window", "advise_counts", "_strategies", "compare_counts")  # fmt: skip
STORE_METHODS = ("load_frame", "load_outcomes", "grouped_counts", "strategies",
                 "strategies_between")  # fmt: skip


def whatif_anatomy(tracker: Tracker, call: Callable[[], Any]) -> dict[str, Any]:
    """One `Tracker.whatif` call with its steps timed (store read, candle files, sparse
    tables, the per-symbol grids, the first-passage searches, each cell's outcomes and
    numbers), totalled by step."""
    timer = StepTimer()
    store = tracker._app.store
    cores = sys.modules.get("sigtrack.core.whatif")
    services = sys.modules.get("sigtrack.services.statistics")
    targets: list[tuple[Any, str, str]] = [
        (store, "load_frame", "store.load_frame"),
        (FileCandleSource, "candles", "candle files: read"),
        (services, "CandleIndex", "CandleIndex()"),
        (cores, "_grids", "per-symbol grids"),
        (SettlingGrid, "cell", "SettlingGrid.cell (one symbol, one cell)"),
        (SettlingGrid, "target_hits", "first passages: a target distance"),
        (SettlingGrid, "stop_hits", "first passages: a stop distance"),
        (cores, "_cell", "cell numbers"),
    ]
    with ExitStack() as stack:
        for owner, name, label in targets:
            if owner is not None and hasattr(owner, name):
                wrapped = timer.wrap(label, getattr(owner, name))
                stack.enter_context(mock.patch.object(owner, name, wrapped))
        begin = time.perf_counter_ns()
        answer = call()
        total = (time.perf_counter_ns() - begin) / 1e6
    totals: dict[str, dict[str, float]] = {}
    for step in timer.done():
        entry = totals.setdefault(step.name, {"calls": 0, "ms": 0.0, "depth": step.depth})
        entry["calls"] += 1
        entry["ms"] += step.ms
    return {"total_ms": total, "steps": totals, "answer": answer}


def weekly_anatomy(tracker: Tracker, now: datetime) -> dict[str, Any]:
    """One instrumented weekly report: the steps of `build_weekly_report` (store reads
    and the numbers computed from them) and the rendering, timed one by one."""
    timer = StepTimer()
    store = tracker._app.store
    with ExitStack() as stack:
        for name in REPORT_FUNCTIONS:
            wrapped = timer.wrap(name, getattr(reports_module, name))
            stack.enter_context(mock.patch.object(reports_module, name, wrapped))
        for name in STORE_METHODS:
            wrapped = timer.wrap(f"store.{name}", getattr(store, name))
            stack.enter_context(mock.patch.object(store, name, wrapped))
        listing = timer.wrap("store.list_activity", store.list_activity, consume=True)
        stack.enter_context(mock.patch.object(store, "list_activity", listing))
        # where the analysis service builds the report, and where the text is rendered
        for module, name in ((analysis_module, "build_weekly_report"),
                             (report_rendering, "render_weekly_text")):  # fmt: skip
            wrapped = timer.wrap(name, getattr(module, name))
            stack.enter_context(mock.patch.object(module, name, wrapped))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        total = time_once(lambda: tracker.weekly_report(fmt="text", now=now))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "total_ms": total,
        "steps": [asdict(s) for s in timer.done()],
        "max_rss_mb_before": before / 1024,
        "max_rss_mb_after": peak / 1024,
    }


# --- one backend -------------------------------------------------------------------------


@dataclass(slots=True)
class BackendRun:
    timings: list[Timing] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None


def bench_backend(
    backend: str, url: str, p: Params, now: datetime, seed: int, cache: Path
) -> BackendRun:
    out = BackendRun()
    with opened(url):  # creates the schema (migrations)
        pass
    console.print(f"  filling {p.rows:,} signals and a year of commands")
    out.info["fill"] = asdict(fill_store(url, p, now, seed, cache))
    console.print("  daily rollups, built once from scratch")
    with opened(url) as tracker:
        store = tracker._app.store
        built = [time_once(store.refresh_rollups)]
    note = "every dimension of every day; then kept up per day"
    op = "rollups built from scratch (once, after the bulk load)"
    out.timings.append(Timing(op, "extra", backend, built, note=note))
    if p.only_weekly:
        console.print("  weekly report")
        bench_weekly(backend, url, p, now, out)
        return out
    console.print("  winrate(30)")
    with opened(url) as tracker:
        samples = repeat(lambda: tracker.winrate(30, now=now), p.winrate_runs, p.op_budget_s)
        out.timings.append(Timing("winrate(30)", "winrate", backend, samples,
                                  TARGETS_MS["winrate"]))  # fmt: skip
        out.info["winrate30"] = str(tracker.winrate(30, now=now))
        check_winrate(tracker, tracker.winrate(30, now=now), now)
        check_breakdown(tracker, BreakdownKey.SYMBOL, 365, now)
    for days, runs in zip(BREAKDOWN_DAYS, (p.breakdown_runs, p.year_breakdown_runs), strict=True):
        console.print(f"  stats(by, days={days}) for every key")
        for key in BreakdownKey:
            with opened(url) as tracker:
                samples = repeat(
                    lambda k=key, d=days: tracker.stats(k, days=d, now=now),
                    runs,
                    p.op_budget_s,
                )
            out.timings.append(Timing(f"stats({key.value}, days={days})", "breakdown", backend,
                                      samples, TARGETS_MS["breakdown"]))  # fmt: skip
    console.print("  a breakdown after a settling pass changed yesterday's signals")
    yesterday = rollups.day_of(now - timedelta(days=1))

    def after_a_write(key: BreakdownKey, days: int) -> float:
        with opened(url) as tracker:
            store = tracker._app.store
            with store.engine.begin() as conn:
                rollups.mark_days(conn, [yesterday])
            return time_once(lambda: tracker.stats(key, days=days, now=now))

    for key, days in ((BreakdownKey.SYMBOL, 30), (BreakdownKey.TAG, 365)):
        samples = [after_a_write(key, days) for _ in range(3)]
        op = f"stats({key.value}, days={days}), yesterday marked stale"
        note = "each call rebuilds one day of its dimension first"
        out.timings.append(Timing(op, "breakdown", backend, [samples[0], *samples],
                                  TARGETS_MS["breakdown"], note=note))  # fmt: skip
    console.print("  weekly report")
    bench_weekly(backend, url, p, now, out)
    console.print("  where the time goes: statements and plans")
    out.info["anatomy"] = anatomy(url, now) | out.info.get("anatomy", {})
    return out


def check_breakdown(tracker: Tracker, key: BreakdownKey, days: int, now: datetime) -> None:
    """A timed breakdown must add up to what counting the rows gives (see check_winrate)."""
    result = tracker.stats(key, days=days, now=now)
    since = cohort_start(now, days, tracker.settings.zone)
    c = signals_table.c
    query = (
        select(c.result, func.count())
        .where(c.created_at >= since, c.created_at < now, c.status == "CLOSED")
        .group_by(c.result)
    )
    with tracker._app.store.engine.connect() as conn:
        counted = dict(conn.execute(query).all())
    got = (sum(r.wins for r in result.rows), sum(r.losses for r in result.rows))
    if got != (counted.get("WIN", 0), counted.get("LOSS", 0)):
        raise AssertionError(f"stats({key.value}, {days}) counted {got}; the rows say {counted}")


def bench_weekly(backend: str, url: str, p: Params, now: datetime, out: BackendRun) -> None:
    """The cold call with its steps timed (the wrappers cost microseconds), then plain warm
    calls while the budget lasts (none when the cold call alone outlasts it); json and html
    once when the report is quick enough for rendering to matter."""
    with opened(url) as tracker:
        week = parse_week(None, now=now, zone=tracker.settings.zone).label
        op = f"weekly_report({week}, text)"

        def call() -> object:
            return tracker.weekly_report(fmt="text", now=now)

        try:
            engine = tracker._app.store.engine
            with capturing(engine) as seen:
                steps = weekly_anatomy(tracker, now)
            samples = [steps["total_ms"]]
            while len(samples) <= p.weekly_runs and sum(samples) / 1e3 < p.op_budget_s:
                samples.append(time_once(call))
        except MemoryError as exc:
            failed = Timing(op, "weekly", backend, [float("nan")], TARGETS_MS["weekly"])
            failed.note = f"MemoryError: {exc}"
            out.timings.append(failed)
            return
        note = "the cold call is the instrumented one"
        if len(samples) == 1:
            note += f"; no warm call: the cold one outlasted the {p.op_budget_s:g} s budget"
        out.timings.append(Timing(op, "weekly", backend, samples, TARGETS_MS["weekly"], note))
        out.info["anatomy"] = {
            "weekly_report": steps
            | {"statements": statement_anatomy(engine, seen, through_sqlalchemy=True)}
        }
        if samples[0] > 5_000:
            return
        for fmt in ("json", "html"):
            once = time_once(lambda f=fmt: tracker.weekly_report(fmt=f, now=now))
            name = f"weekly_report({week}, {fmt})"
            out.timings.append(Timing(name, "weekly", backend, [once, once], TARGETS_MS["weekly"]))


def anatomy(url: str, now: datetime) -> dict[str, Any]:
    """The statements behind winrate(30) and each breakdown, with their plans."""
    found: dict[str, Any] = {}
    with opened(url) as tracker:
        engine = tracker._app.store.engine
        calls: dict[str, Callable[[], object]] = {
            "winrate(30)": lambda: tracker.winrate(30, now=now)
        }
        for key in BreakdownKey:
            for days in BREAKDOWN_DAYS:
                calls[f"stats({key.value}, days={days})"] = lambda k=key, d=days: tracker.stats(
                    k, days=d, now=now
                )
        for name, call in calls.items():
            with capturing(engine) as seen:
                call()
            found[name] = statement_anatomy(engine, seen)
    return found


# --- the what-if grid ----------------------------------------------------------------------


def minute_candles(
    rng: np.random.Generator, start_ms: int, minutes: int, price: float, yearly_vol: float
) -> Candles:
    """A seeded random walk of 1-minute candles: Student-t(4) moves, volatility regimes
    that drift hour by hour, a daily cycle of activity; wicks beyond open and close."""
    sigma = yearly_vol / np.sqrt(525_600)
    hours = minutes // 60 + 2
    regime = np.empty(hours)
    regime[0] = 0.0
    shocks = rng.normal(0, 0.08, hours)
    for h in range(1, hours):  # AR(1) of the log volatility
        regime[h] = 0.985 * regime[h - 1] + shocks[h]
    hour_of_day = (np.arange(minutes) // 60 + start_ms // 3_600_000) % 24
    daily = 1.0 + 0.35 * np.sin((hour_of_day - 8) / 24 * 2 * np.pi)
    vol = sigma * np.exp(regime[np.arange(minutes) // 60] - 0.08) * daily
    moves = vol * rng.standard_t(4, minutes) / np.sqrt(2)
    close = price * np.exp(np.cumsum(moves))
    open_ = np.concatenate([[price], close[:-1]])
    wick = np.abs(rng.normal(0, 0.6, (2, minutes))) * vol
    high = np.maximum(open_, close) * np.exp(wick[0])
    low = np.minimum(open_, close) * np.exp(-wick[1])
    return Candles(
        open_time_ms=start_ms + np.arange(minutes, dtype=np.int64) * 60_000,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=rng.lognormal(3, 1, minutes),
    )


@dataclass(slots=True)
class WhatIfSignals:
    """Signals of one symbol in creation order: entry, stop distance (R) and life."""

    is_long: np.ndarray
    entry: np.ndarray
    risk: np.ndarray  # |entry − stop| in price
    created_ms: np.ndarray
    life_ms: np.ndarray
    timeframe: np.ndarray  # index into TF_NAMES


def whatif_signals(
    rng: np.random.Generator, candles: Candles, count: int
) -> WhatIfSignals:  # fmt: skip
    timeframe = rng.choice(len(TF_NAMES), size=count, p=TF_SHARE)
    life_ms = LIFE_TIMEFRAMES * TF_MINUTES[timeframe] * 60_000
    at = np.sort(rng.integers(1, len(candles), count))
    entry = candles.close[at - 1]  # the last close the bot saw
    risk_pct = rng.uniform(0.5, 2.5, count) * TF_RISK[timeframe]
    return WhatIfSignals(
        is_long=rng.random(count) < 0.58,
        entry=entry,
        risk=entry * risk_pct / 100,
        created_ms=candles.open_time_ms[at],
        life_ms=life_ms.astype(np.int64),
        timeframe=timeframe,
    )


def settle_grid(
    signals: dict[str, WhatIfSignals], indexes: dict[str, CandleIndex], policy: ResolutionPolicy
) -> list[dict[str, float]]:
    """Every cell of the grid on the product's grid engine, as `core/whatif.py` runs it: a
    `SettlingGrid` per symbol (each distance's first passages searched once), then each
    cell's outcomes and numbers."""
    grids = [
        SettlingGrid(
            indexes[symbol],
            GridSignals(
                sign=np.where(s.is_long, 1.0, -1.0),
                entry=s.entry,
                unit=s.risk,
                created_ms=s.created_ms,
                expires_ms=s.created_ms + s.life_ms,
            ),
            TARGET_DISTANCES_R,
            STOP_DISTANCES_R,
            policy,
        )
        for symbol, s in signals.items()
    ]
    cells = []
    for t, target_r in enumerate(TARGET_DISTANCES_R):
        for k, stop_r in enumerate(STOP_DISTANCES_R):
            pnl_sum, r_sum, closed, wins, skipped = 0.0, 0.0, 0, 0, 0
            for grid in grids:
                cell = grid.cell(t, k)
                done = cell.close_kind != CloseKind.OPEN
                skipped += int(np.sum(~cell.is_placed))
                closed += int(np.sum(done))
                wins += int(np.sum(cell.close_kind == CloseKind.TARGET))
                pnl_sum += float(np.sum(cell.pnl_pct[done]))
                r_sum += float(np.sum(cell.r_multiple[done]))
            cells.append(cell_numbers(target_r, stop_r, closed, skipped, wins, pnl_sum, r_sum))
    return cells


def cell_numbers(
    target_r: float, stop_r: float, closed: int, skipped: int, wins: int, pnl_sum: float,
    r_sum: float,
) -> dict[str, float]:  # fmt: skip
    return {
        "target_r": target_r, "stop_r": stop_r, "closed": closed, "skipped": skipped,
        "hit_target_pct": 100 * wins / closed if closed else float("nan"),
        "mean_pnl_pct": pnl_sum / closed if closed else float("nan"),
        "mean_r": r_sum / closed if closed else float("nan"),
    }  # fmt: skip


def settle_cell(
    signals: dict[str, WhatIfSignals], indexes: dict[str, CandleIndex], policy: ResolutionPolicy,
    target_r: float, stop_r: float,
) -> dict[str, float]:  # fmt: skip
    """Before the grid engine: every signal again with the target at target_r·R and the stop
    at stop_r·R, 100 % at the target, one `settle_many` per symbol; the cell's numbers."""
    pnl_sum, r_sum, closed, wins, skipped = 0.0, 0.0, 0, 0, 0
    for symbol, s in signals.items():
        sign = np.where(s.is_long, 1.0, -1.0)
        stop = s.entry - sign * stop_r * s.risk
        usable = stop > 0  # a SHORT's stop far enough can stay above 0, a LONG's cannot
        skipped += int(np.sum(~usable))
        batch = SignalBatch.from_arrays(
            is_long=s.is_long[usable],
            entry=s.entry[usable],
            stop=stop[usable],
            targets=(s.entry + sign * target_r * s.risk)[usable][:, None],
            created_ms=s.created_ms[usable],
            life_ms=s.life_ms[usable],
            policy=policy,
        )
        state = settle_many(batch, indexes[symbol], policy)
        done = state.close_kind != CloseKind.OPEN
        closed += int(np.sum(done))
        wins += int(np.sum(state.close_kind == CloseKind.TARGET))
        pnl_sum += float(np.sum(state.pnl_pct[done]))
        r_sum += float(np.sum(state.r_multiple[done]))
    return cell_numbers(target_r, stop_r, closed, skipped, wins, pnl_sum, r_sum)


def bench_whatif(p: Params, seed: int, now: datetime) -> BackendRun:
    out = BackendRun()
    rng = np.random.default_rng([seed, 4])
    minutes = p.whatif_days * 1_440
    start_ms = (int(now.timestamp()) // 60 - minutes) * 60_000
    chosen = SYMBOL_NAMES[: p.whatif_symbols]
    console.print(f"  {minutes:,} one-minute candles for each of {', '.join(chosen)}")
    begin = time.perf_counter()
    candles = {
        s: minute_candles(rng, start_ms, minutes, SYMBOLS[s][0], SYMBOLS[s][1]) for s in chosen
    }
    generated_s = time.perf_counter() - begin
    per_symbol = p.whatif_signals // len(chosen)
    signals = {s: whatif_signals(rng, candles[s], per_symbol) for s in chosen}
    policy = ResolutionPolicy(exit_plan=(1.0,))
    begin = time.perf_counter()
    indexes = {s: CandleIndex(c) for s, c in candles.items()}
    for s, index in indexes.items():
        index.ensure(int(np.max(signals[s].life_ms)) // 60_000 + 1)
    index_s = time.perf_counter() - begin
    grid = [(t, s) for t in TARGET_DISTANCES_R for s in STOP_DISTANCES_R]
    console.print(
        f"  {len(grid)} cells × {per_symbol * len(chosen):,} signals, {p.whatif_runs} run(s)"
    )
    runs_ms: list[float] = []
    cells: list[dict[str, float]] = []
    for _ in range(p.whatif_runs):
        begin_ns = time.perf_counter_ns()
        cells = settle_grid(signals, indexes, policy)
        runs_ms.append((time.perf_counter_ns() - begin_ns) / 1e6)
    begin_ns = time.perf_counter_ns()  # once, the way it was done before the grid engine
    per_cell = [settle_cell(signals, indexes, policy, t, s) for t, s in grid]
    per_cell_ms = (time.perf_counter_ns() - begin_ns) / 1e6
    same = json.dumps(per_cell) == json.dumps(cells)  # NaN, if any, as text
    n = per_symbol * len(chosen)
    op = f"what-if grid {len(TARGET_DISTANCES_R)}×{len(STOP_DISTANCES_R)}, {n:,} signals"
    out.timings.append(
        Timing(op, "whatif", "engine", [runs_ms[0], *runs_ms], TARGETS_MS["whatif"],
               note="SettlingGrid, each run of the grid, the first counted cold and warm")
    )  # fmt: skip
    out.timings.append(
        Timing("  the same grid, one settle_many per cell", "extra", "engine", [per_cell_ms],
               note=f"before the grid engine; cells equal: {'yes' if same else 'NO'}")
    )  # fmt: skip
    if not same:
        console.print("[red]the per-cell settle_many cells differ from the grid engine's[/]")
    index_bytes = sum(i.flat.nbytes for i in indexes.values())
    out.info["whatif"] = {
        "symbols": list(chosen), "candles_per_symbol": minutes, "signals": n,
        "candles_generated_s": round(generated_s, 2), "index_build_s": round(index_s, 2),
        "index_mb": round(index_bytes / 1e6), "levels": max(i.levels for i in indexes.values()),
        "policy": policy.describe(), "grid_runs_ms": runs_ms,
        "signals_per_s": n * len(grid) / (statistics.median(runs_ms) / 1e3),
        "per_cell_settle_many_ms": per_cell_ms, "per_cell_cells_equal": same,
        "cells": cells,
    }  # fmt: skip
    console.print(
        f"  sparse tables built in {index_s:.1f} s ({index_bytes / 1e6:,.0f} MB); grid "
        f"{statistics.median(runs_ms) / 1e3:.2f} s; cell by cell {per_cell_ms / 1e3:.2f} s"
    )
    del indexes
    if hasattr(Tracker, "whatif"):
        bench_tracker_whatif(signals, candles, p, out)
    return out


WHATIF_COLUMNS = (
    "id", "signal_id", "user_id", "symbol", "side", "timeframe", "entry", "targets", "sl",
    "confidence", "reasons", "tags", "strategy", "source", "exchange", "market", "created_at",
    "recorded_at", "status", "result", "exit_reason", "pnl_pct", "closed_at", "r_multiple",
)  # fmt: skip


def recorded_rows(
    symbol: str, s: WhatIfSignals, candles: Candles, first_pk: int
) -> list[tuple[Any, ...]]:
    """The what-if signals as a SQLite store keeps them (TP1 at 1 R, TP2 at 2 R), closed as
    the default policy settles them on the same candles."""
    sign = np.where(s.is_long, 1.0, -1.0)
    targets = np.stack([s.entry + sign * s.risk, s.entry + 2 * sign * s.risk], axis=1)
    batch = SignalBatch.from_arrays(
        is_long=s.is_long, entry=s.entry, stop=s.entry - sign * s.risk, targets=targets,
        created_ms=s.created_ms, life_ms=s.life_ms, policy=DEFAULT_POLICY,
    )  # fmt: skip
    state = settle_many(batch, CandleIndex(candles), DEFAULT_POLICY)
    times = TimeText(postgres=False)
    created_txt = times.many(s.created_ms // 1000)
    closed_txt = times.many(np.max(state.exit_ms, axis=1).clip(0) // 1000)
    rows = []
    for i in range(len(s.entry)):
        kind, legs = CloseKind(int(state.close_kind[i])), int(state.legs_done[i])
        result, reason = result_for(kind, legs), exit_reason_for(kind, legs, legs > 0)
        is_open = kind is CloseKind.OPEN
        rows.append((
            first_pk + i, f"6000000000_{symbol}_{int(s.created_ms[i]) // 1000}_{i}",
            6_000_000_000, symbol, "LONG" if s.is_long[i] else "SHORT", TF_NAMES[s.timeframe[i]],
            float(s.entry[i]), json.dumps(targets[i].tolist()),
            float(s.entry[i] - sign[i] * s.risk[i]),
            None, REASONS_JSON[0], TAGS_JSON[0], "v3", "autosignal", "binance", "usdm",
            created_txt[i], created_txt[i], "ACTIVE" if is_open else "CLOSED",
            None if result is None else result.value, None if reason is None else reason.value,
            None if is_open else float(state.pnl_pct[i]), None if is_open else closed_txt[i],
            None if is_open else float(state.r_multiple[i]),
        ))  # fmt: skip
    return rows


def bench_tracker_whatif(
    signals: dict[str, WhatIfSignals], candles: dict[str, Candles], p: Params, out: BackendRun
) -> None:
    """`Tracker.whatif` end to end on the same signals and candles: a SQLite store of the
    signals, the candles as Parquet files, the same 10 × 10 grid in R."""
    n = sum(len(s.entry) for s in signals.values())
    console.print(f"  Tracker.whatif: a SQLite store of the {n:,} signals, candles as Parquet")
    with tempfile.TemporaryDirectory(prefix="sigtrack-bench-stats-whatif-") as folder:
        for symbol, c in candles.items():
            table = pa.table({"timestamp": c.open_time_ms, "open": c.open, "high": c.high,
                              "low": c.low, "close": c.close, "volume": c.volume})  # fmt: skip
            pq.write_table(table, f"{folder}/{symbol}.parquet")
        url = f"sqlite:///{folder}/sigtrack.db"
        with opened(url):
            pass
        engine = create_store_engine(url)
        try:
            first = 1
            for symbol, s in signals.items():
                with engine.begin() as conn:
                    insert_sqlite(
                        conn,
                        "signals",
                        WHATIF_COLUMNS,
                        recorded_rows(symbol, s, candles[symbol], first),
                    )
                first += len(s.entry)
        finally:
            engine.dispose()
        grid = {"targets": TARGET_DISTANCES_R, "stops": STOP_DISTANCES_R, "unit": "r"}
        samples, answer = [], None
        op = f"Tracker.whatif 10×10, {n:,} signals"
        try:
            with opened(url) as tracker:  # the first call, its steps timed
                steps = whatif_anatomy(tracker, lambda: tracker.whatif(candles=folder, **grid))
                samples.append(steps["total_ms"])
                out.info["tracker_whatif_steps"] = steps
            if p.whatif_runs > 1 and samples[0] < 60_000:
                with opened(url) as tracker:
                    begin = time.perf_counter_ns()
                    answer = tracker.whatif(candles=folder, **grid)
                    samples.append((time.perf_counter_ns() - begin) / 1e6)
            answer = steps.pop("answer")
        except Exception as exc:  # the API is young: report, do not lose the run
            console.print(f"[red]Tracker.whatif failed:[/] {exc!r}")
            out.info["tracker_whatif"] = {"error": repr(exc)}
            return
    out.timings.append(
        Timing(op, "whatif", "sqlite", samples,
               TARGETS_MS["whatif"], note="the API end to end: store, Parquet candles, grid")
    )  # fmt: skip
    if answer is not None:
        out.info["tracker_whatif"] = {
            "signals": answer.signals,
            "cells": len(answer.cells),
            "samples_ms": samples,
            "best": [asdict(c) for c in answer.best],
        }


# --- PostgreSQL: a database of our own -----------------------------------------------------


class Skipped(Exception):
    pass


@contextmanager
def sqlite_file(keep: bool) -> Iterator[str]:
    if keep:
        folder = tempfile.mkdtemp(prefix="sigtrack-bench-stats-")
        console.print(f"  keeping the SQLite store in {folder}")
        yield f"sqlite:///{folder}/sigtrack.db"
        return
    with tempfile.TemporaryDirectory(prefix="sigtrack-bench-stats-") as folder:
        yield f"sqlite:///{folder}/sigtrack.db"


# --- report --------------------------------------------------------------------------------


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms >= 10_000:
        return f"{ms / 1e3:,.1f} s"
    return f"{ms:,.3g} ms" if ms < 100 else f"{ms:,.0f} ms"


def print_table(p: Params, timings: Sequence[Timing], skipped: dict[str, str]) -> None:
    table = Table(title=f"sigtrack statistics benchmark ({p.rows:,} signals)")
    for name, justify in (("op", "left"), ("backend", "left"), ("cold", "right"),
                          ("median", "right"), ("worst", "right"), ("runs", "right"),
                          ("target", "right"), ("met?", "center")):  # fmt: skip
        table.add_column(name, justify=justify)
    for t in timings:
        met = {None: "", True: "[green]yes[/]", False: "[red]NO[/]"}[t.met]
        table.add_row(
            t.op, t.backend, fmt_ms(t.cold_ms), fmt_ms(t.median_ms), fmt_ms(t.worst_ms),
            str(len(t.warm_ms)), f"≤ {fmt_ms(t.target_ms)}" if t.target_ms else "", met,
        )  # fmt: skip
    console.print(table)
    for backend, reason in skipped.items():
        console.print(f"[yellow]{backend} skipped:[/] {reason}")


def print_weekly_steps(backend: str, run: BackendRun) -> None:
    steps = run.info.get("anatomy", {}).get("weekly_report", {})
    if not steps:
        return
    console.print(f"weekly report on {backend}, one call, {fmt_ms(steps['total_ms'])}:")
    for s in steps["steps"]:
        rows = f", {s['rows']:,} rows" if s["rows"] is not None else ""
        detail = f" ({s['detail']}{rows})" if s["detail"] or rows else ""
        console.print(f"  {'  ' * s['depth']}{s['name']}{detail}: {fmt_ms(s['ms'])}")


# --- main ----------------------------------------------------------------------------------


def limit_memory(gb: float | None) -> float:
    """Cap this process's address space, so that a report that would need more memory than
    the machine can spare fails here with a MemoryError instead of pushing other jobs out.
    Default: what is available now less 4 GB, at most 18 GB."""
    if gb is None:
        available_kb = next(
            (int(line.split()[1]) for line in _meminfo() if line.startswith("MemAvailable")), 0
        )
        gb = max(4.0, min(18.0, available_kb / 1024**2 - 4.0))
    limit = int(gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    return gb


def _meminfo() -> list[str]:
    try:
        return Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run for a smoke check")
    parser.add_argument("--rows", type=int, help="signals in the store (default 1,000,000)")
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"comma list of {', '.join(BACKENDS)}"
    )
    parser.add_argument("--no-whatif", action="store_true", help="skip the what-if grid")
    parser.add_argument(
        "--only-weekly", action="store_true", help="after the fill, only the weekly report"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("SIGTRACK_BENCH_PG_URL", DEFAULT_PG_URL),
        help="a PostgreSQL server database to create the bench database from",
    )
    parser.add_argument(
        "--memory-limit-gb", type=float, help="address-space cap (default: available − 4 GB)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the stores for a look after")
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/…)")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; choose from {', '.join(BACKENDS)}")
    if args.rows is not None and not 10_000 <= args.rows <= 30_000_000:
        parser.error("--rows must be between 10,000 and 30,000,000")
    return args


def run_backend(
    backend: str, p: Params, args: argparse.Namespace, now: datetime, cache: Path
) -> BackendRun:
    if backend == "sqlite":
        with sqlite_file(args.keep) as url:
            return bench_backend(backend, url, p, now, args.seed, cache)
    try:
        with fresh_postgres_database(
            args.pg_url, prefix="sigtrack_bench_stats", keep=args.keep
        ) as url:
            return bench_backend(backend, url, p, now, args.seed, cache)
    except Skipped as exc:
        return BackendRun(skipped=str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    p = QUICK if args.quick else FULL
    if args.rows is not None:
        p = replace(p, rows=args.rows)
    if args.only_weekly:
        p, args.no_whatif = replace(p, only_weekly=True), True
    now = datetime.now(UTC).replace(microsecond=0)
    machine = machine_info(args.pg_url)
    machine["memory_limit_gb"] = round(limit_memory(args.memory_limit_gb), 1)
    load = ", ".join(f"{x:.2f}" for x in machine["load_average_start"])
    console.print(
        f"machine: {machine['cpu']}, {machine['cores']} cores, load average {load}; "
        f"sigtrack {machine['source_start']}; memory cap {machine['memory_limit_gb']} GB"
    )
    runs: dict[str, BackendRun] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sigtrack-bench-stats-cache-") as cache:
        for backend in args.backends:
            console.rule(backend)
            begin = time.perf_counter()
            runs[backend] = run_backend(backend, p, args, now, Path(cache))
            runs[backend].info["run_seconds"] = round(time.perf_counter() - begin, 1)
            runs[backend].info["load_average_after"] = os.getloadavg()
            console.print(f"  {backend} done in {runs[backend].info['run_seconds']:.0f} s")
    if not args.no_whatif:
        console.rule("what-if grid (the grid engine)")
        runs["engine"] = bench_whatif(p, args.seed, now)
        runs["engine"].info["load_average_after"] = os.getloadavg()
    machine["load_average_end"] = os.getloadavg()
    machine["source_end"] = source_version()
    timings = [t for run in runs.values() for t in run.timings]
    print_table(p, timings, {b: r.skipped for b, r in runs.items() if r.skipped})
    for backend, run in runs.items():
        print_weekly_steps(backend, run)
    whatif_steps = runs["engine"].info.get("tracker_whatif_steps") if "engine" in runs else None
    if whatif_steps:
        console.print(f"Tracker.whatif, first call, {fmt_ms(whatif_steps['total_ms'])}:")
        for name, step in whatif_steps["steps"].items():
            console.print(f"  {'  ' * int(step['depth'])}{name}: {step['calls']:,} call(s), "
                          f"{fmt_ms(step['ms'])}")  # fmt: skip
    path = args.out or BENCH_DIR / "results" / (
        f"stats-{now:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    )
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "params": asdict(p),
        "machine": machine,
        "targets_ms": TARGETS_MS,
        "timings": [t.to_json() for t in timings],
        "info": {b: r.info for b, r in runs.items()},
        "skipped": {b: r.skipped for b, r in runs.items() if r.skipped},
        "run_seconds": round(time.perf_counter() - started, 1),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"results written to {path} ({document['run_seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
