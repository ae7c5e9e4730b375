"""The signal: its fields, its validation, its tags and its id scheme (DESIGN §3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidSignal
from sigtrack.core.signal_rules import (
    MAX_NAME_LEN,
    MAX_REASON_LEN,
    MAX_REASONS,
    MAX_RECEIVERS,
    MAX_TARGETS,
    check_confidence,
    check_created_at,
    check_levels,
    check_names,
    check_reasons,
    check_receivers,
    check_signal_id,
    check_timeframe,
    is_good_name,
    normalize_symbol,
    to_number,
    to_price,
)

FUTURE_TOLERANCE = timedelta(minutes=5)


class Side(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"


class Status(StrEnum):
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


class Result(StrEnum):
    WIN = "WIN"
    LOSS = "LOSS"
    EXPIRED = "EXPIRED"
    BREAKEVEN = "BREAKEVEN"
    CANCELLED = "CANCELLED"


class ExitReason(StrEnum):
    TP1 = "TP1"
    TP2 = "TP2"
    TP3 = "TP3"
    TP4 = "TP4"
    TP5 = "TP5"
    TP6 = "TP6"
    TP7 = "TP7"
    TP8 = "TP8"
    TP9 = "TP9"
    TP10 = "TP10"
    TP1_BE = "TP1_BE"  # TP1, then the rest at the stop moved to entry
    TP1_SL = "TP1_SL"  # TP1, then the rest at the original stop (stop not moved)
    TP1_EXPIRED = "TP1_EXPIRED"  # TP1, then the rest closed at expiry
    TP2_BE = "TP2_BE"  # the same after TP2, with a three-leg exit plan
    TP2_SL = "TP2_SL"
    TP2_EXPIRED = "TP2_EXPIRED"
    SL = "SL"
    TIMEOUT = "TIMEOUT"
    MANUAL = "MANUAL"


class EventKind(StrEnum):
    CREATED = "created"
    TP_HIT = "tp_hit"
    CLOSED = "closed"
    OVERRIDE = "override"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # a close that came after another outcome: kept, the outcome unchanged


_LONG = Side.LONG  # a module constant is quicker to reach than the enum's attribute
_SIDE_ALIASES = {"LONG": Side.LONG, "BUY": Side.LONG, "SHORT": Side.SHORT, "SELL": Side.SHORT}
MANUAL_RESULTS = (Result.WIN, Result.LOSS, Result.BREAKEVEN)


def parse_side(value: object, field: str = "side") -> Side:
    if isinstance(value, str):
        side = _SIDE_ALIASES.get(value) or _SIDE_ALIASES.get(value.strip().upper())
        if side is not None:
            return side
    raise InvalidSignal(field, f"must be LONG or SHORT (BUY / SELL accepted) (got {value!r})")


def parse_result(value: object, field: str = "result") -> Result:
    if isinstance(value, str):
        try:
            return Result(value.strip().upper())
        except ValueError:
            pass
    known = ", ".join(r.value.lower() for r in Result)
    raise InvalidSignal(field, f"must be one of {known} (got {value!r})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """One trading signal as the bot sent it. Invariants are checked on creation
    (`validate_fields`, below)."""

    symbol: str  # "BTCUSDT"
    side: Side
    timeframe: Timeframe
    entry: float
    targets: tuple[float, ...]  # tp1, tp2, … nearest first
    stop: float
    created_at: datetime  # aware; stored as UTC
    confidence: float | None = None  # 0–100
    reasons: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    strategy: str = "default"
    source: str = "autosignal"
    receivers: tuple[int, ...] = ()
    exchange: str = "binance"
    market: str = "usdm"
    signal_id: str | None = None  # caller-supplied id; None means "derive one"

    def __post_init__(self) -> None:
        _fill(self, validate_fields(*[getattr(self, name) for name in _FIELD_NAMES]))

    @property
    def tp1(self) -> float:
        return self.targets[0]

    @property
    def tp2(self) -> float | None:
        return self.targets[1] if len(self.targets) > 1 else None

    @property
    def risk_pct(self) -> float:
        """Initial risk in % of entry: |entry − sl| / entry × 100."""
        return abs(self.entry - self.stop) / self.entry * 100

    @property
    def user_id(self) -> int:
        """The representative user of the old id scheme: the first receiver, or 0."""
        return self.receivers[0] if self.receivers else 0


# --- validation: the one set of rules -------------------------------------------------


# fmt: off
def validate_fields(
    symbol: object, side: object, timeframe: object, entry: object, targets: object,
    stop: object, created_at: object, confidence: object, reasons: object, tags: object,
    strategy: object, source: object, receivers: object, exchange: object, market: object,
    signal_id: object, /,
) -> tuple[object, ...]:
    """Every rule of DESIGN §3 over a signal's fields (in `Signal`'s field order): the
    fields as a Signal keeps them, or an InvalidSignal naming the first field (in this
    fixed order) that breaks a rule, and its value. The only validator of a signal:
    `Signal(...)` runs it in `__post_init__`, `signal_of` before building one."""
    symbol_text = normalize_symbol(symbol)
    parsed_side = parse_side(side)
    parsed_timeframe = check_timeframe(timeframe)
    entry_price, target_prices, stop_price = check_levels(
        entry, targets, stop, parsed_side is _LONG, parsed_side
    )
    moment = check_created_at(created_at)
    texts = check_reasons(reasons)
    tag_names = check_names(tags, strategy, source, exchange, market)
    stated = None if confidence is None else check_confidence(confidence)
    if signal_id is not None:
        check_signal_id(signal_id)
    users = check_receivers(receivers)
    return (
        symbol_text, parsed_side, parsed_timeframe, entry_price, target_prices, stop_price,
        moment, stated, texts, tag_names, strategy, source, users, exchange, market, signal_id,
    )


def signal_of(
    symbol: object, side: object, timeframe: object, entry: object, targets: object,
    stop: object, created_at: object, confidence: object, reasons: object, tags: object,
    strategy: object, source: object, receivers: object, exchange: object, market: object,
    signal_id: object, /,
) -> Signal:
    """`Signal(...)` of these fields, given in field order: the same `validate_fields`, run
    once on the values and not again on a built dataclass (for the loop of `track_many`)."""
    signal = object.__new__(Signal)
    _fill(signal, validate_fields(
        symbol, side, timeframe, entry, targets, stop, created_at, confidence, reasons, tags,
        strategy, source, receivers, exchange, market, signal_id,
    ))
    return signal
# fmt: on


_FIELD_NAMES = tuple(f.name for f in fields(Signal))
# The slots' own setters: a frozen dataclass refuses `setattr`, its slots do not.
_SETTERS = tuple(getattr(Signal, name).__set__ for name in _FIELD_NAMES)
if len(_SETTERS) != 16:  # validate_fields, signal_of and _fill take the 16 by position
    raise AssertionError(f"Signal has {len(_SETTERS)} fields, validate_fields checks 16")


def _fill(signal: Signal, values: tuple[object, ...]) -> None:
    """Set every field from validated values (unrolled: this runs for every signal)."""
    (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) = _SETTERS
    s0(signal, values[0]), s1(signal, values[1]), s2(signal, values[2])
    s3(signal, values[3]), s4(signal, values[4]), s5(signal, values[5])
    s6(signal, values[6]), s7(signal, values[7]), s8(signal, values[8])
    s9(signal, values[9]), s10(signal, values[10]), s11(signal, values[11])
    s12(signal, values[12]), s13(signal, values[13]), s14(signal, values[14])
    s15(signal, values[15])


def check_not_in_future(created_at: datetime, now: datetime) -> None:
    if created_at > now + FUTURE_TOLERANCE:
        raise InvalidSignal(
            "created_at",
            f"must not be in the future (got {created_at.isoformat()}, now {now.isoformat()})",
        )


# --- ids ---------------------------------------------------------------------------


def base_signal_id(user_id: int, symbol: str, created_at: datetime) -> str:
    """The old tracker's id: `{user_id}_{SYMBOL}_{unix_seconds}`."""
    return f"{user_id}_{symbol}_{int(created_at.timestamp())}"


def suffixed_signal_id(base: str, n: int) -> str:
    """The n-th signal sharing a base id: n=1 is the base itself, then `…_2`, `…_3`."""
    return base if n <= 1 else f"{base}_{n}"


CONTENT_FIELDS = (
    "symbol",
    "side",
    "timeframe",
    "entry",
    "targets",
    "stop",
    "created_at",
    "confidence",
    "reasons",
    "strategy",
    "source",
    "exchange",
    "market",
)


def same_content(a: Signal, b: Signal) -> list[str]:
    """The fields where two signals differ (empty when tracking b again is a no-op)."""
    return [name for name in CONTENT_FIELDS if getattr(a, name) != getattr(b, name)]


# --- tags --------------------------------------------------------------------------

DEFAULT_TAG_RULES: tuple[tuple[str, str], ...] = (
    ("demand", "demand_zone"),
    ("supply", "supply_zone"),
    ("momentum", "momentum"),
    ("dip", "dip"),
    ("pump", "pump"),
    ("reversal", "reversal"),
)


def derive_tags(
    reasons: Iterable[str], rules: Iterable[tuple[str, str]] = DEFAULT_TAG_RULES
) -> tuple[str, ...]:
    """Tags whose needle occurs (case-insensitively) in any reason, in rule order."""
    return _derive_tags(tuple(reasons), tuple(rules))


@lru_cache(maxsize=4096)  # bots repeat the same few reasons
def _derive_tags(reasons: tuple[str, ...], rules: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    text = [r.lower() for r in reasons]
    tags = [tag for needle, tag in rules if any(needle.lower() in r for r in text)]
    return tuple(dict.fromkeys(tags))


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalDefaults:
    """What a signal gets when the caller does not say (from the settings)."""

    strategy: str = "default"
    source: str = "autosignal"
    exchange: str = "binance"
    market: str = "usdm"
    tag_rules: tuple[tuple[str, str], ...] = field(default=DEFAULT_TAG_RULES)


__all__ = [  # the rules of signal_rules too, so that callers import the signal's all from here
    "CONTENT_FIELDS", "DEFAULT_TAG_RULES", "FUTURE_TOLERANCE", "MANUAL_RESULTS", "MAX_NAME_LEN",
    "MAX_REASONS", "MAX_REASON_LEN", "MAX_RECEIVERS", "MAX_TARGETS", "EventKind", "ExitReason",
    "Result", "Side", "Signal", "SignalDefaults", "Status", "base_signal_id",
    "check_not_in_future", "check_signal_id", "derive_tags", "is_good_name", "normalize_symbol",
    "parse_result", "parse_side", "same_content", "signal_of", "suffixed_signal_id", "to_number",
    "to_price", "validate_fields",
]  # fmt: skip
