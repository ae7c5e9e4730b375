"""The rules of a valid signal (DESIGN §3), each written once: `signals.validate_fields`
runs them, in one fixed order, for `Signal(...)` and for `signal_of` alike.

Each rule takes any value and returns it as a Signal keeps it, or raises InvalidSignal
naming the field and the value. The plain forms a bot sends (a float price, a text seen
before) are decided first, inside the rule itself, so the hot loop of `track_many` pays
little for the generality.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NoReturn

from sigtrack.core.candles import Timeframe, parse_timeframe
from sigtrack.core.errors import InvalidInput, InvalidSignal

MAX_TARGETS = 10
MAX_REASONS = 50
MAX_REASON_LEN = 500
MAX_NAME_LEN = 64
MAX_RECEIVERS = 100_000

_SYMBOL_RE = re.compile(r"[A-Z0-9]{2,20}")
_SIGNAL_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}")
_NAME_RE = re.compile(r"[\w.\-:/ ]{1,64}")
_TARGET_FIELDS = tuple(f"tp{i}" for i in range(1, MAX_TARGETS + 1))
_INT_BOUND = 2**63
_NAME_FIELDS = ("strategy", "source", "exchange", "market")
# Texts a rule already accepted, with its answer: validation is on the hot path of
# `track_many`, and bots repeat a few symbols and names. Exact `str` keys only, successes
# only, so a remembered answer is the rule's own.
_REMEMBERED_MAX = 10_000
_GOOD_NAMES: set[str] = set()
_SYMBOLS: dict[str, str] = {}
_TIMEFRAMES: dict[str, Timeframe] = {}


def normalize_symbol(value: object, field: str = "symbol") -> str:
    """`BTC/USDT`, `btcusdt`, `BTC/USDT:USDT`, `BTC-USDT` → `BTCUSDT`."""
    if type(value) is str and value in _SYMBOLS:
        return _SYMBOLS[value]
    if not isinstance(value, str):
        raise InvalidSignal(field, f"must be a text like BTCUSDT (got {value!r})")
    text = value.strip().upper().split(":", 1)[0]
    for sep in ("/", "-", "_"):
        text = text.replace(sep, "")
    if not _SYMBOL_RE.fullmatch(text):
        raise InvalidSignal(field, f"must be 2–20 letters or digits like BTCUSDT (got {value!r})")
    if type(value) is str and len(_SYMBOLS) < _REMEMBERED_MAX:
        _SYMBOLS[value] = text
    return text


def to_price(value: object, field: str) -> float:
    """A finite positive number; bools, text and NaN are refused with the field named."""
    if type(value) is float and 0.0 < value < math.inf:  # the usual case, decided at once
        return value
    number = to_number(value, field)
    if not number > 0:
        raise InvalidSignal(field, f"must be greater than 0 (got {value!r})")
    return number


def to_number(value: object, field: str) -> float:
    if type(value) is float and -math.inf < value < math.inf:  # the usual cases, at once
        return value
    if type(value) is int and -_INT_BOUND < value < _INT_BOUND:
        return float(value)
    if isinstance(value, bool) or value is None:
        raise InvalidSignal(field, f"must be a number (got {value!r})")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidSignal(field, f"must be a number (got {value!r})") from None
    if not math.isfinite(number):
        raise InvalidSignal(field, f"must be a finite number (got {value!r})")
    return number


def check_signal_id(value: object, field: str = "signal_id") -> str:
    if not isinstance(value, str) or not _SIGNAL_ID_RE.fullmatch(value):
        raise InvalidSignal(
            field, f"must be 1–128 letters, digits or _.:- starting with one (got {value!r})"
        )
    return value


def is_good_name(value: object) -> bool:
    """A strategy, source, exchange, market or tag: 1–64 letters, digits, spaces or _.-:/."""
    if value.__class__ is str and value in _GOOD_NAMES:  # the same few names, again and again
        return True
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        return False
    if value.__class__ is str and len(_GOOD_NAMES) < _REMEMBERED_MAX:
        _GOOD_NAMES.add(value)
    return True


def _items(value: object, field: str, what: str) -> tuple[object, ...]:
    """The items of a list (a tuple, a list or any iterable but a text)."""
    if type(value) is tuple:
        return value
    if type(value) is list:
        return tuple(value)
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidSignal(field, f"must be a list of {what} (got {value!r})")
    return tuple(value)


def check_name(value: object, field: str) -> object:
    if not is_good_name(value):
        raise InvalidSignal(
            field, f"must be 1–{MAX_NAME_LEN} letters, digits, spaces or _.-:/ (got {value!r})"
        )
    return value


def check_timeframe(value: object) -> Timeframe:
    if type(value) is str and value in _TIMEFRAMES:
        return _TIMEFRAMES[value]
    try:
        timeframe = parse_timeframe(value)
    except InvalidInput as exc:
        raise InvalidSignal(exc.field, exc.reason) from None
    if type(value) is str and len(_TIMEFRAMES) < _REMEMBERED_MAX:
        _TIMEFRAMES[value] = timeframe
    return timeframe


def check_levels(
    entry: object, targets: object, stop: object, rising: bool, side: str, /
) -> tuple[float, tuple[float, ...], float]:
    """Entry, targets and stop: prices finite and > 0, 1–10 targets, and sl, entry, tp1,
    tp2 … strictly `rising` (a LONG) or strictly falling (a SHORT); `side` names it."""
    entry_price = to_price(entry, "entry")
    stop_price = to_price(stop, "sl")
    given = targets if type(targets) is tuple else _items(targets, "targets", "prices")
    if not 1 <= len(given) <= MAX_TARGETS:
        raise InvalidSignal("targets", f"must hold 1 to {MAX_TARGETS} levels (got {len(given)})")
    levels = tuple(map(to_price, given, _TARGET_FIELDS))
    chain = (stop_price, entry_price, *levels)
    bad = _out_of_order(chain, rising)
    if bad:
        _refuse_order(chain, bad, rising, side)
    return entry_price, levels, stop_price


def _out_of_order(chain: tuple[float, ...], rising: bool) -> int:
    """The index of the first level not strictly beyond the one before it (above it when
    `rising`, else below); 0 when every level is (NaN never is)."""
    previous = chain[0]
    for i in range(1, len(chain)):
        level = chain[i]
        if not (previous < level if rising else level < previous):
            return i
        previous = level
    return 0


def _refuse_order(chain: tuple[float, ...], bad: int, rising: bool, side: str) -> NoReturn:
    """Name the level `chain[bad]` (of sl, entry, tp1 …), out of order, and its value."""
    above, below = ("above", "below") if rising else ("below", "above")
    if bad == 1:  # said of the stop: the entry is the given point
        raise InvalidSignal(
            "sl", f"must be {below} entry for {side} (got sl={chain[0]} vs entry={chain[1]})"
        )
    name, previous = _TARGET_FIELDS[bad - 2], ("entry", *_TARGET_FIELDS)[bad - 2]
    raise InvalidSignal(
        name,
        f"must be {above} {previous} for {side} (got {name}={chain[bad]} vs {previous}="
        f"{chain[bad - 1]})",
    )


def check_created_at(created: object) -> datetime:
    """An aware datetime, kept in UTC (whether it is in the future needs a clock)."""
    if not isinstance(created, datetime):
        raise InvalidSignal("created_at", f"must be a datetime (got {created!r})")
    if created.tzinfo is None or created.utcoffset() is None:
        raise InvalidSignal(
            "created_at", f"must carry a time zone (got naive {created.isoformat()})"
        )
    return created.astimezone(UTC)


def check_reasons(reasons: object) -> tuple[str, ...]:
    """Each reason a text of 1–500 characters (kept stripped), at most 50 of them."""
    given = reasons if type(reasons) is tuple else _items(reasons, "reasons", "texts")
    if len(given) > MAX_REASONS:
        raise InvalidSignal("reasons", f"at most {MAX_REASONS} (got {len(given)})")
    texts, limit = [], MAX_REASON_LEN
    for i, reason in enumerate(given):
        if not isinstance(reason, str) or not (text := reason.strip()) or len(reason) > limit:
            raise InvalidSignal(
                f"reasons[{i}]", f"must be a text of 1–{limit} characters (got {reason!r})"
            )
        texts.append(text)
    return tuple(texts)


def check_names(
    tags: object, strategy: object, source: object, exchange: object, market: object, /
) -> tuple[object, ...]:
    """The tags, then strategy, source, exchange and market: each a good name. Gives the
    tags as a tuple."""
    given = tags if type(tags) is tuple else _items(tags, "tags", "names")
    for tag in given:
        if not (tag.__class__ is str and tag in _GOOD_NAMES):  # else ask the rule
            check_name(tag, "tags")
    for name, field_name in zip((strategy, source, exchange, market), _NAME_FIELDS, strict=True):
        if not (name.__class__ is str and name in _GOOD_NAMES):
            check_name(name, field_name)
    return given


def check_confidence(value: object) -> float:
    """A number from 0 to 100 (None, no confidence stated, is the caller's to skip)."""
    if type(value) is int and 0 <= value <= 100:  # the usual case, decided at once
        return float(value)
    confidence = to_number(value, "confidence")
    if not 0 <= confidence <= 100:
        raise InvalidSignal("confidence", f"must be between 0 and 100 (got {confidence!r})")
    return confidence


def check_receivers(receivers: object) -> tuple[int, ...]:
    """Telegram user ids (ints, or texts of one), each once, in the order given."""
    given = receivers if type(receivers) is tuple else _items(receivers, "receivers", "user ids")
    for value in given:
        if type(value) is not int or not -_INT_BOUND < value < _INT_BOUND:
            given = tuple(map(_user_id, given))
            break
    unique = tuple(dict.fromkeys(given))
    if len(unique) > MAX_RECEIVERS:
        raise InvalidSignal("receivers", f"at most {MAX_RECEIVERS} (got {len(unique)})")
    return unique


def _user_id(value: object) -> int:
    if type(value) is int and -_INT_BOUND < value < _INT_BOUND:
        return value
    if isinstance(value, bool):
        raise InvalidSignal("receivers", f"must be Telegram user ids (got {value!r})")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidSignal("receivers", f"must be Telegram user ids (got {value!r})") from None
    if abs(number) >= _INT_BOUND:
        raise InvalidSignal("receivers", f"user id out of range (got {value!r})")
    return number
