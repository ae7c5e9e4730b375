"""The fast path of signal validation: `Signal(...)` for fields of plain types.

`track_many` validates thousands of bot dicts a second, and `Signal.__post_init__` is
general: it takes any text, number-like or iterable and says what is wrong with it.
`plain_signal` accepts only the plain forms a bot sends (exact `str`, `float`, `int`,
tuples or lists of them, an aware `datetime`), checks them with the same rules, and
builds the `Signal` without running the general checks again. Anything else, valid or
not, gets `None`, and the caller builds `Signal(...)`, which says what is wrong: so the
errors are always the general path's. tests/core/test_plain_signals.py holds the two
paths equal on random fields.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import TypeVar

from sigtrack.core.candles import Timeframe, parse_timeframe
from sigtrack.core.errors import InvalidInput
from sigtrack.core.signals import (
    MAX_REASON_LEN,
    MAX_REASONS,
    MAX_RECEIVERS,
    MAX_TARGETS,
    Side,
    Signal,
    check_signal_id,
    is_good_name,
    normalize_symbol,
    parse_side,
)

T = TypeVar("T")
_REMEMBERED_MAX = 10_000  # distinct symbols / sides / timeframes remembered
_SYMBOLS: dict[str, str] = {}
_SIDES: dict[str, Side] = {}
_TIMEFRAMES: dict[str, Timeframe] = {}
_KNOWN_NAMES: set[str] = set()  # good names seen (strategy, tags …)
_INT_BOUND = 2**63  # ints beyond are left to the general path (float() may overflow)
_FIELDS = tuple(f.name for f in fields(Signal))


def _parsed(value: str, remembered: dict[str, T], parse: Callable[[str], T]) -> T | None:
    """`parse(value)`, remembered (the parsers are pure); None when it refuses."""
    found = remembered.get(value)
    if found is None:
        try:
            found = parse(value)
        except InvalidInput:
            return None
        if len(remembered) < _REMEMBERED_MAX:
            remembered[value] = found
    return found


def _price(value: object) -> float:
    """`to_price` for a float or an int: the price, or 0.0 when it is not plain and valid."""
    if type(value) is float:
        return value if 0.0 < value < math.inf else 0.0
    if type(value) is int and 0 < value < _INT_BOUND:
        return float(value)
    return 0.0


def _levels(
    side: Side, entry: object, stop: object, targets: object
) -> tuple[float, float, tuple[float, ...]] | None:
    """Entry, stop and targets as `Signal._check_prices` leaves them, when all is in order:
    each a finite price > 0, and stop, entry, tp1, tp2 … strictly in order for the side."""
    if type(targets) is not tuple and type(targets) is not list:
        return None
    if not 1 <= len(targets) <= MAX_TARGETS:
        return None
    if type(entry) is float and type(stop) is float and all(type(t) is float for t in targets):
        entry_price, stop_price, levels = entry, stop, tuple(targets)
    else:  # ints among them, or things the general path must judge (_price gives 0.0)
        entry_price, stop_price, levels = _price(entry), _price(stop), tuple(map(_price, targets))
    if side is Side.LONG:
        rising = (stop_price, entry_price, *levels)
    else:
        rising = (*levels[::-1], entry_price, stop_price)
    # Strictly rising (NaN compares false), from above 0 to below infinity.
    if rising[0] > 0.0 and rising[-1] < math.inf and all(map(float.__lt__, rising, rising[1:])):
        return entry_price, stop_price, levels
    return None


def plain_reasons(reasons: object) -> tuple[str, ...] | None:
    """The reasons as `Signal` keeps them (stripped), when they are a plain list of texts."""
    if type(reasons) is not tuple and type(reasons) is not list:
        return None
    if len(reasons) > MAX_REASONS:
        return None
    stripped = []
    for reason in reasons:
        if type(reason) is not str or len(reason) > MAX_REASON_LEN:
            return None
        text = reason.strip()
        if not text:
            return None
        stripped.append(text)
    return tuple(stripped)


def _receivers(receivers: object) -> tuple[int, ...] | None:
    if type(receivers) is not tuple and type(receivers) is not list:
        return None
    for value in receivers:
        if type(value) is not int or not -_INT_BOUND < value < _INT_BOUND:
            return None
    unique = tuple(dict.fromkeys(receivers))
    return unique if len(unique) <= MAX_RECEIVERS else None


def _confidence(value: object) -> float | bool | None:
    """The stored confidence; False when the general path must judge it."""
    if value is None:
        return None
    if (type(value) is float or type(value) is int) and 0 <= value <= 100:
        return float(value)
    return False


def _names_good(tags: tuple[object, ...] | list[object], names: tuple[object, ...]) -> bool:
    """Tags, strategy, source, exchange and market are all good names: most often texts
    seen before, so one set lookup."""
    every = (*names, *tags)
    texts = all(type(name) is str for name in every)
    if texts and _KNOWN_NAMES.issuperset(every):
        return True
    if not all(map(is_good_name, every)):
        return False
    if texts and len(_KNOWN_NAMES) < _REMEMBERED_MAX:
        _KNOWN_NAMES.update(every)
    return True


def _signal_id_good(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not str:
        return False
    try:
        check_signal_id(value)
    except InvalidInput:
        return False
    return True


def plain_signal(
    *,
    symbol: object,
    side: object,
    timeframe: object,
    entry: object,
    targets: object,
    stop: object,
    created_at: object,
    confidence: object = None,
    reasons: object = (),
    tags: object = (),
    strategy: object = "default",
    source: object = "autosignal",
    receivers: object = (),
    exchange: object = "binance",
    market: object = "usdm",
    signal_id: object = None,
) -> Signal | None:
    """`Signal(...)` of these fields when they are plain and valid; else None."""
    texts = plain_reasons(reasons)
    if texts is None:
        return None
    return plain_signal_of(
        symbol, side, timeframe, entry, targets, stop, created_at, confidence, texts, tags,
        strategy, source, receivers, exchange, market, signal_id,
    )  # fmt: skip


def plain_signal_of(
    symbol: object,
    side: object,
    timeframe: object,
    entry: object,
    targets: object,
    stop: object,
    created_at: object,
    confidence: object,
    texts: tuple[str, ...],
    tags: object,
    strategy: object,
    source: object,
    receivers: object,
    exchange: object,
    market: object,
    signal_id: object,
    /,
) -> Signal | None:
    """`plain_signal` with the reasons already through `plain_reasons`; positional, for
    the hot loop of `track_many`."""
    if type(symbol) is not str or not isinstance(side, str) or not isinstance(timeframe, str):
        return None
    if type(side) not in (str, Side) or type(timeframe) not in (str, Timeframe):
        return None
    symbol_text = _parsed(symbol, _SYMBOLS, normalize_symbol)
    parsed_side = _parsed(side, _SIDES, parse_side)
    parsed_timeframe = _parsed(timeframe, _TIMEFRAMES, parse_timeframe)
    if symbol_text is None or parsed_side is None or parsed_timeframe is None:
        return None
    levels = _levels(parsed_side, entry, stop, targets)
    if type(created_at) is not datetime or created_at.tzinfo is None:
        return None
    if created_at.utcoffset() is None:
        return None
    stated = _confidence(confidence)
    users = _receivers(receivers)
    if levels is None or stated is False or users is None or not _signal_id_good(signal_id):
        return None
    if type(tags) is not tuple and type(tags) is not list:
        return None
    if not _names_good(tags, (strategy, source, exchange, market)):
        return None
    entry_price, stop_price, target_prices = levels
    return _assembled((
        symbol_text, parsed_side, parsed_timeframe, entry_price, target_prices, stop_price,
        created_at.astimezone(UTC), stated, texts, tuple(tags), strategy, source, users,
        exchange, market, signal_id,
    ))  # fmt: skip


# The slots' own setters: a frozen dataclass refuses `setattr`, its slots do not.
_SETTERS = tuple(getattr(Signal, name).__set__ for name in _FIELDS)
if len(_SETTERS) != 16:  # _assembled sets each field by position
    raise AssertionError(f"Signal has {len(_SETTERS)} fields, _assembled sets 16")


def _assembled(values: tuple[object, ...]) -> Signal:
    """A Signal from field values (in field order) that passed the checks, without
    `__post_init__` (unrolled: this runs once per signal of every batch)."""
    signal = object.__new__(Signal)
    (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) = _SETTERS
    s0(signal, values[0]), s1(signal, values[1]), s2(signal, values[2])
    s3(signal, values[3]), s4(signal, values[4]), s5(signal, values[5])
    s6(signal, values[6]), s7(signal, values[7]), s8(signal, values[8])
    s9(signal, values[9]), s10(signal, values[10]), s11(signal, values[11])
    s12(signal, values[12]), s13(signal, values[13]), s14(signal, values[14])
    s15(signal, values[15])
    return signal
