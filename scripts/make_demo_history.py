"""Write the seeded example history (the OLD file tracker's JSONL format) for `make demo`.

Everything is made up. Ten weeks of a bot's signals: prices follow a random walk inside a
plausible band; each signal carries what the bot sends beside the old tracker's keys
(confidence, the reasons behind it, the strategy version), and its chance to win follows
them: the coin, the timeframe, the reasons and the confidence. Halfway the operator
deploys `v2` (a higher confidence floor, fewer 5m signals, more zone entries). One coin,
DOGEUSDT, loses money throughout. A few broken lines are planted on purpose for the
importer to report; the generated README.md lists them by file:line. Same seed, same
bytes: `.venv/bin/python scripts/make_demo_history.py`.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

SEED = 20261123
OUT = Path(__file__).resolve().parents[1] / "src" / "sigtrack" / "demo_data"
JAKARTA = timezone(timedelta(hours=7), "Asia/Jakarta")  # UTC+7 all year, no DST
START, DAYS = datetime(2026, 9, 7, tzinfo=JAKARTA), 70  # ten weeks, Monday to Sunday
END = START + timedelta(days=DAYS, seconds=-1)  # the files as the old tracker left them
N_SIGNALS, N_NEWEST_OPEN, N_STALE_OPEN = 1100, 40, 6
BROKEN_PROMPT_DAY = 15
COMPLETED = "completed_signals.jsonl"
Line = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Coin:
    symbol: str
    low: float  # price band over the ten weeks
    high: float
    decimals: int  # tick
    edge: float  # chance to win of a plain signal on it
    weight: int  # how often the bot signalled it
    hourly_vol: float


COINS = (
    Coin("BTCUSDT", 90_000, 110_000, 2, 0.62, 22, 0.004),
    Coin("ETHUSDT", 3_000, 4_000, 2, 0.60, 18, 0.006),
    Coin("SOLUSDT", 150, 250, 2, 0.57, 15, 0.008),
    Coin("BNBUSDT", 600, 900, 2, 0.60, 9, 0.005),
    Coin("XRPUSDT", 2.0, 3.0, 4, 0.55, 11, 0.008),
    Coin("DOGEUSDT", 0.15, 0.40, 5, 0.25, 10, 0.010),  # the coin to drop
    Coin("ADAUSDT", 0.5, 1.0, 4, 0.52, 7, 0.009),
    Coin("AVAXUSDT", 20, 45, 3, 0.54, 8, 0.009),
)
BY_SYMBOL = {c.symbol: c for c in COINS}
# timeframe: smallest r, largest r, quickest and slowest close (minutes), edge
TIMEFRAMES = {
    "5m": (0.008, 0.012, 20, 240, -0.08), "15m": (0.008, 0.018, 30, 600, -0.02),
    "1h": (0.012, 0.025, 120, 1800, 0.03), "4h": (0.020, 0.030, 480, 2880, 0.04),
}  # fmt: skip
# the reasons the bot gives, by side: text (tagged by the default tag map), edge
REASONS = {
    "LONG": (("Near demand zone", 0.06), ("Dip: -{move:.1f}%", 0.0),
             ("Momentum: RSI {rsi} rising", 0.03), ("Bullish reversal candle", -0.04)),
    "SHORT": (("Near supply zone", 0.03), ("Pump: +{move:.1f}%", -0.08),
              ("Momentum: RSI {rsi} falling", 0.03), ("Bearish reversal candle", -0.04)),
}  # fmt: skip
CONFIDENCE_EDGE = 0.012  # per point of confidence above 82


@dataclass(frozen=True)
class Strategy:
    name: str
    first_day: int
    min_confidence: int
    timeframes: Mapping[str, Sequence[float]]  # weight first
    reasons: Sequence[float]  # weight of each reason, in REASONS' order
    edge: float


STRATEGIES = (
    Strategy("v1", 0, 70, {"5m": (12,), "15m": (40,), "1h": (35,), "4h": (13,)},
             (3, 3, 3, 3), 0.0),
    Strategy("v2", 35, 80, {"5m": (3,), "15m": (30,), "1h": (47,), "4h": (20,)},
             (5, 2, 3, 2), 0.03),
)  # fmt: skip
# command: weight, takes a symbol, takes a timeframe
COMMANDS = {"/signal": (30, 1, 1), "/analyze": (22, 1, 1), "/futures": (15, 1, 0),
            "/winrate": (15, 0, 0), "/start": (10, 0, 0), "/help": (8, 0, 0)}  # fmt: skip
EXTRA_SYMBOLS = ("LINKUSDT", "SUIUSDT", "PEPEUSDT", "TONUSDT")  # asked about, never signalled
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 8, 7, 6, 6, 7, 8, 9, 9, 8, 8, 9, 10, 8, 5)
SIGNAL_USERS = (123456789, 987654321, 555000111)
USERS: dict[int, str | None] = {
    123456789: "rizky_fx", 987654321: "andika_crypto", 555000111: None,
    5012348871: "budi_santoso", 1187345520: "dewi_hodl", 6634120987: "kevin_tan88",
    742019356: "ayu_trades", 2045871136: None, 5566102938: "fajar_scalper",
    889201457: "indra_w", 1320984475: "sarah_btc", 6091827364: "mike_onchain",
    403917265: "agus_setiawan", 5798213046: None, 1765390241: "nadia_putri",
    6240981537: "whale_watch_id", 998877665: "tommy_lim", 2109384756: "reza_futures",
    5381726490: None, 1456789012: "lina_crypto", 7012345698: "hendra_k",
    843920176: "gita_ta", 5923817460: "dimas_pratama", 1098273645: None,
    6357201948: "yusuf_ta", 2287461930: "sinta_dca", 5209138476: "arief_bintang",
    1630295847: None, 7198263540: "jonathan_w", 376512984: "putra_99",
}  # fmt: skip


def local(moment: datetime) -> str:
    """Naive local time with microseconds, as the old bot's `datetime.now().isoformat()`."""
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def dump(line: Line) -> str:
    return json.dumps(line) + "\n"


def pick(rng: random.Random, options: Mapping[T, Sequence[float]]) -> T:
    """A key of `options`, weighted by the first number of its value."""
    return rng.choices(list(options), [v[0] for v in options.values()])[0]


def random_moment(rng: random.Random, day: int) -> datetime:
    hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
    offset = timedelta(days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
    return START + offset + timedelta(microseconds=rng.randrange(1, 1_000_000))


def calm(hour: int) -> float:
    """The volatility's scale: a lull over the last weekend, where short signals expire."""
    return 0.45 if hour >= (DAYS - 2) * 24 else 1.0


def price_paths(rng: random.Random) -> dict[str, list[float]]:
    """Hourly prices: a log random walk reflected at each coin's band."""
    paths: dict[str, list[float]] = {}
    for coin in COINS:
        low, high = math.log(coin.low), math.log(coin.high)
        x = rng.uniform(low + 0.3 * (high - low), high - 0.3 * (high - low))
        paths[coin.symbol] = []
        for hour in range(DAYS * 24):
            paths[coin.symbol].append(math.exp(x))
            x += rng.gauss(0, coin.hourly_vol) * calm(hour)
            x = 2 * low - x if x < low else 2 * high - x if x > high else x
    return paths


def strategy_at(at: datetime) -> Strategy:
    day = (at - START).days
    return [s for s in STRATEGIES if s.first_day <= day][-1]


def reasons_for(rng: random.Random, side: str, strategy: Strategy) -> tuple[list[str], float]:
    """One to three reasons of the side (texts as the bot writes them) and their mean edge."""
    pool = list(range(len(REASONS[side])))
    chosen: list[int] = []
    for _ in range(rng.choices((1, 2, 3), (4, 4, 2))[0]):
        k = rng.choices(pool, [strategy.reasons[i] for i in pool])[0]
        pool.remove(k)
        chosen.append(k)
    texts, edges = zip(*(REASONS[side][k] for k in sorted(chosen)), strict=True)
    move = rng.uniform(2.0, 7.5)
    rsi = rng.randint(55, 72) if side == "LONG" else rng.randint(28, 45)
    return [t.format(move=move, rsi=rsi) for t in texts], sum(edges) / len(edges)


def new_signal(rng: random.Random, paths: dict[str, list[float]], at: datetime) -> Line:
    strategy = strategy_at(at)
    coin = rng.choices(COINS, [c.weight for c in COINS])[0]
    timeframe = pick(rng, strategy.timeframes)
    r = rng.uniform(*TIMEFRAMES[timeframe][:2])
    sign = 1 if rng.random() < 0.6 else -1
    hour = int((at - START).total_seconds() // 3600)
    entry = round(paths[coin.symbol][hour] * rng.uniform(0.998, 1.002), coin.decimals)
    user = rng.choices(SIGNAL_USERS, (5, 3, 2))[0]
    confidence = round(rng.triangular(strategy.min_confidence, 95, strategy.min_confidence + 5))
    reasons, reason_edge = reasons_for(rng, "LONG" if sign == 1 else "SHORT", strategy)
    chance = (coin.edge + TIMEFRAMES[timeframe][4] + reason_edge + strategy.edge
              + CONFIDENCE_EDGE * (confidence - 82))  # fmt: skip

    def level(k: int) -> float:
        return round(entry * (1 + sign * k * r), coin.decimals)

    return {
        "signal_id": f"{user}_{coin.symbol}_{int(at.timestamp())}",
        "user_id": user, "symbol": coin.symbol, "timeframe": timeframe,
        "signal_type": "LONG" if sign == 1 else "SHORT", "entry_price": entry,
        "tp1": level(1), "tp2": level(2), "sl": level(-1), "confidence": confidence,
        "reasons": reasons, "strategy": strategy.name, "status": "ACTIVE",
        "timestamp": local(at), "_chance": min(0.92, max(0.08, chance)),
    }  # fmt: skip


def close(rng: random.Random, line: Line, at: datetime) -> tuple[datetime, Line]:
    entry: float = line["entry_price"]
    sign = 1 if line["signal_type"] == "LONG" else -1

    def move(level: float) -> float:
        return sign * (level - entry) / entry * 100

    if rng.random() >= line["_chance"]:
        result, pnl = "LOSS", move(line["sl"])
    elif not line["tp2"]:
        result, pnl = "WIN", move(line["tp1"])
    elif rng.random() < 0.55:  # both targets, half the position each
        result, pnl = "WIN", (move(line["tp1"]) + move(line["tp2"])) / 2
    else:  # TP1, then the rest stopped at entry
        result, pnl = "WIN", move(line["tp1"]) / 2
    _, _, quickest, slowest, _ = TIMEFRAMES[line["timeframe"]]
    latest = min(slowest, (END - at).total_seconds() / 60 - 5)
    assert min(quickest, latest) >= 20, f"{line['signal_id']} is too new to be closed"
    closed_at = at + timedelta(minutes=rng.uniform(min(quickest, latest), latest))
    closing = {"status": "CLOSED", "result": result, "pnl_percent": round(pnl, 2)}
    return closed_at, line | closing | {"closed_at": local(closed_at)}


def signal_times(rng: random.Random) -> list[datetime]:
    """Fewer signals at weekends, more each week as the bot gained users."""
    weekday = [(START + timedelta(days=d)).weekday() < 5 for d in range(DAYS)]
    weights = [(1.0 if weekday[d] else 0.6) * (1 + 1.2 * d / DAYS) for d in range(DAYS)]
    return sorted(random_moment(rng, d) for d in rng.choices(range(DAYS), weights, k=N_SIGNALS))


@dataclass
class Signals:
    active: list[str]  # file lines
    completed: list[str]
    where: dict[str, int]  # planted problem → line number
    all: list[Line]  # every signal as first written (ACTIVE)
    closed: list[Line]  # the completed lines the importer can use, once each


def public(line: Line) -> Line:
    """The line as written: without the generator's own keys."""
    return {k: v for k, v in line.items() if not k.startswith("_")}


def plant_problems(rng: random.Random, closed_ids: list[int], lines: list[Line]) -> dict[int, str]:
    early = closed_ids[20:-40]
    bad_sl = rng.choice([i for i in early if lines[i]["signal_type"] == "LONG"])
    cut, zero, twice = rng.sample([i for i in early if i != bad_sl], 3)
    return {bad_sl: "bad_sl", cut: "cut", zero: "zero", twice: "twice"}


def spoil(line: Line, tag: str) -> str:
    """The completed line as written, with its planted problem."""
    if tag == "bad_sl":  # the old bot put the stop on the wrong side
        sl = line["entry_price"] + 0.4 * (line["tp1"] - line["entry_price"])
        line["sl"] = round(sl, BY_SYMBOL[line["symbol"]].decimals)
    if tag == "zero":  # the price fetch failed
        line["entry_price"] = 0
    text = dump(public(line))
    if tag == "cut":  # the process died while appending
        text = text[: int(len(text) * 0.55)] + "\n"
    return text


def build_signals(rng: random.Random) -> Signals:
    times = signal_times(rng)
    paths = price_paths(rng)
    lines = [new_signal(rng, paths, at) for at in times]
    assert len({line["signal_id"] for line in lines}) == N_SIGNALS
    for k, i in enumerate(rng.sample(range(N_SIGNALS), 8)):
        lines[i]["tp2"] = None if k < 5 else 0  # the old bot: no second target
    older = range(N_SIGNALS - 150, N_SIGNALS - N_NEWEST_OPEN)  # inside the bundled candles
    open_ids = set(range(N_SIGNALS - N_NEWEST_OPEN, N_SIGNALS))
    open_ids |= set(rng.sample(older, N_STALE_OPEN))  # never settled by the old tracker
    closed_ids = [i for i in range(N_SIGNALS) if i not in open_ids]
    in_both = rng.choice([i for i in older if i not in open_ids])
    tags = plant_problems(rng, closed_ids, lines) | {in_both: "in_both"}
    active = [dump(public(lines[i])) for i in sorted(open_ids | {in_both})]
    done: list[tuple[datetime, str, str]] = []
    valid: list[Line] = []
    for i in closed_ids:
        closed_at, line = close(rng, lines[i], times[i])
        tag = tags.get(i, "")
        done.extend([(closed_at, spoil(line, tag), tag)] * (2 if tag == "twice" else 1))
        valid += [public(line)] if tag in ("", "in_both", "twice") else []
    done.sort(key=lambda item: item[0])
    where = {tag: n for n, (_, _, tag) in enumerate(done, start=1) if tag}
    where["twice"] -= 1  # the first of the two equal lines
    where["in_both_active"] = 1 + active.index(dump(public(lines[in_both])))
    return Signals(active, [text for _, text, _ in done], where, [public(x) for x in lines], valid)


def build_prompts(rng: random.Random, signals: list[Line]) -> tuple[dict[str, list[str]], str]:
    """One `/signal` line just before each signal, plus what else users typed (5–35 a day)."""
    weights = {user: (rng.uniform(0.2, 3.0),) for user in USERS}
    by_day: dict[int, list[tuple[str, str]]] = {d: [] for d in range(DAYS)}
    for s in signals:
        at = datetime.fromisoformat(s["timestamp"]).replace(tzinfo=JAKARTA)
        at -= timedelta(seconds=rng.uniform(3, 40))
        line = {
            "timestamp": local(at), "user_id": s["user_id"], "username": USERS[s["user_id"]],
            "command": "/signal", "symbol": s["symbol"], "timeframe": s["timeframe"],
        }  # fmt: skip
        by_day[(at - START).days].append((line["timestamp"], dump(line)))
    symbols = [c.symbol for c in COINS for _ in range(c.weight // 4 + 1)] + list(EXTRA_SYMBOLS)
    for day, entries in by_day.items():
        weekend = (START + timedelta(days=day)).weekday() >= 5
        for _ in range(rng.randint(5, 20 if weekend else 35)):
            user, command = pick(rng, weights), pick(rng, COMMANDS)
            _, takes_symbol, takes_timeframe = COMMANDS[command]
            line = {
                "timestamp": local(random_moment(rng, day)), "user_id": user,
                "username": USERS[user], "command": command,
                "symbol": rng.choice(symbols) if takes_symbol else None,
                "timeframe": pick(rng, STRATEGIES[0].timeframes) if takes_timeframe else None,
            }  # fmt: skip
            entries.append((line["timestamp"], dump(line)))
    date = (START + timedelta(days=BROKEN_PROMPT_DAY)).date()
    cut_at, name = f"{date}T10:00:00.418230", f"prompts_{date}.jsonl"
    broken = f'{{"timestamp": "{cut_at}", "user_id": 1\n'  # a line cut short
    by_day[BROKEN_PROMPT_DAY].append((cut_at, broken))
    files = {
        f"prompts_{(START + timedelta(days=day)).date()}.jsonl": [t for _, t in sorted(entries)]
        for day, entries in by_day.items()
    }
    return files, f"{name}:{files[name].index(broken) + 1}"


def rates(closed: list[Line], key: str) -> str:
    won = Counter(s[key] for s in closed if s["result"] == "WIN")
    total = Counter(s[key] for s in closed)
    return "\n".join(f"- {k}: {won[k]} of {n}" for k, n in sorted(total.items()))


def readme(sig: Signals, prompts: dict[str, list[str]], bad_prompt: str) -> str:
    w, won = sig.where, sum(s["result"] == "WIN" for s in sig.closed)
    no_tp2 = "\n".join(
        f"- `{s['signal_id']}`: {json.dumps(s['tp2'])}" for s in sig.all if not s["tp2"]
    )
    n = [len(lines) for lines in prompts.values()]
    v2 = STRATEGIES[1]
    return f"""# Example history for `make demo` (GENERATED)

Everything here is **generated**, not real signals, trades or users: written by
`scripts/make_demo_history.py` with `random.Random({SEED})`, stdlib only. Rerunning it
rewrites these files byte for byte; change the script, not the files.

The OLD file-based tracker's format: naive local times (Asia/Jakarta, UTC+7) as
`datetime.now().isoformat()` wrote them; `signal_id` is `user_id_SYMBOL_unixseconds` (UTC).
Beside the old keys each signal line carries what the bot's signal dict holds and the
importer reads when present: `confidence` (the bot's 0–100), `reasons` (texts such as
"Near demand zone" or "Pump: +4.2%", which the default tag map turns into demand_zone,
supply_zone, momentum, dip, pump and reversal) and `strategy` (the signal logic's version).
Span: {START:%Y-%m-%d} 00:00 to {END:%Y-%m-%d %H:%M} Asia/Jakarta ({DAYS // 7} weeks), as the
files stood at the end of it.

- `active_signals.jsonl`: {len(sig.active)} lines: {N_NEWEST_OPEN} open signals, the newest,
  {N_STALE_OPEN} older ones the old tracker never settled, and 1 stale line (below).
- `{COMPLETED}`: {len(sig.completed)} lines, in `closed_at` order, WIN or LOSS.
- `prompts_YYYY-MM-DD.jsonl`: {len(n)} files, {sum(n)} lines ({min(n)}–{max(n)} a day).

## What the numbers should show

From {START + timedelta(days=v2.first_day):%Y-%m-%d} the bot runs strategy `v2` instead of
`v1`: confidence at least {v2.min_confidence} instead of {STRATEGIES[0].min_confidence}, fewer
5m signals, more zone entries. A signal's chance to win rises with its confidence and
depends on its coin, timeframe and reasons; DOGEUSDT's is low throughout, so its average
PnL is credibly below zero. The last weekend is a quiet market: short-timeframe signals
opened then expire between their levels when the demo settles them from the candles.

{len(sig.all)} distinct signals. The {len(sig.closed)} closed ones that import cleanly hold
{won} wins ({100 * won / len(sig.closed):.1f} %). Wins per strategy:

{rates(sig.closed, "strategy")}

Wins per coin:

{rates(sig.closed, "symbol")}

## Planted problems (the importer must report or handle each)

- `{COMPLETED}:{w["cut"]}`: a line cut in the middle, as after a crash (not JSON).
- `{COMPLETED}:{w["bad_sl"]}`: a LONG whose stop loss is above the entry.
- `{COMPLETED}:{w["zero"]}`: `"entry_price": 0`.
- `{COMPLETED}:{w["twice"]}` and `:{w["twice"] + 1}`: the same line twice (one signal).
- `active_signals.jsonl:{w["in_both_active"]}` (ACTIVE) and `{COMPLETED}:{w["in_both"]}`
  (CLOSED): one signal; the old tracker failed to rewrite the active file. Valid: it
  imports as closed.
- `{bad_prompt}`: a prompts line cut short (not JSON).

Not problems but old quirks that must import cleanly, no second target (`tp2` null or 0):

{no_tp2}
"""


def main() -> None:
    rng = random.Random(SEED)
    sig = build_signals(rng)
    prompts, bad_prompt = build_prompts(rng, sig.all)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("prompts_*.jsonl"):
        old.unlink()
    files = {"active_signals.jsonl": sig.active, COMPLETED: sig.completed} | prompts
    for name, lines in files.items():
        (OUT / name).write_text("".join(lines), encoding="utf-8", newline="\n")
    (OUT / "README.md").write_text(readme(sig, prompts, bad_prompt), encoding="utf-8")
    print(f"wrote {len(files)} JSONL files and README.md to {OUT}")


if __name__ == "__main__":
    main()
