"""The signal: its fields, its validation, its tags and its id scheme (DESIGN §3)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from sigtrack.core.candles import Timeframe, parse_timeframe
from sigtrack.core.errors import InvalidInput, InvalidSignal

MAX_TARGETS = 10
MAX_REASONS = 50
MAX_REASON_LEN = 500
MAX_NAME_LEN = 64
MAX_RECEIVERS = 100_000
FUTURE_TOLERANCE = timedelta(minutes=5)

_SYMBOL_RE = re.compile(r"[A-Z0-9]{2,20}")
_SIGNAL_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}")
_NAME_RE = re.compile(r"[\w.\-:/ ]{1,64}")
_GOOD_NAMES: set[str] = set()  # names already checked (validation is on the hot path)


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


_SIDE_ALIASES = {"LONG": Side.LONG, "BUY": Side.LONG, "SHORT": Side.SHORT, "SELL": Side.SHORT}
MANUAL_RESULTS = (Result.WIN, Result.LOSS, Result.BREAKEVEN)


def parse_side(value: object, field: str = "side") -> Side:
    if isinstance(value, str) and value.strip().upper() in _SIDE_ALIASES:
        return _SIDE_ALIASES[value.strip().upper()]
    raise InvalidSignal(field, f"must be LONG or SHORT (BUY / SELL accepted) (got {value!r})")


def parse_result(value: object, field: str = "result") -> Result:
    if isinstance(value, str):
        try:
            return Result(value.strip().upper())
        except ValueError:
            pass
    known = ", ".join(r.value.lower() for r in Result)
    raise InvalidSignal(field, f"must be one of {known} (got {value!r})")


def normalize_symbol(value: object, field: str = "symbol") -> str:
    """`BTC/USDT`, `btcusdt`, `BTC/USDT:USDT`, `BTC-USDT` → `BTCUSDT`."""
    if not isinstance(value, str):
        raise InvalidSignal(field, f"must be a text like BTCUSDT (got {value!r})")
    text = value.strip().upper().split(":", 1)[0]
    for sep in ("/", "-", "_"):
        text = text.replace(sep, "")
    if not _SYMBOL_RE.fullmatch(text):
        raise InvalidSignal(field, f"must be 2–20 letters or digits like BTCUSDT (got {value!r})")
    return text


def to_price(value: object, field: str) -> float:
    """A finite positive number; bools, text and NaN are refused with the field named."""
    number = to_number(value, field)
    if not number > 0:
        raise InvalidSignal(field, f"must be greater than 0 (got {value!r})")
    return number


def to_number(value: object, field: str) -> float:
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
    if len(_GOOD_NAMES) < 10_000:
        _GOOD_NAMES.add(value)
    return True


def _check_name(value: str, field: str) -> str:
    if not is_good_name(value):
        raise InvalidSignal(
            field, f"must be 1–{MAX_NAME_LEN} letters, digits, spaces or _.-:/ (got {value!r})"
        )
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """One trading signal as the bot sent it. Invariants are checked on creation."""

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
        object.__setattr__(self, "symbol", normalize_symbol(self.symbol))
        object.__setattr__(self, "side", parse_side(self.side))
        try:
            object.__setattr__(self, "timeframe", parse_timeframe(self.timeframe))
        except InvalidInput as exc:
            raise InvalidSignal(exc.field, exc.reason) from None
        self._check_prices()
        self._check_time()
        self._check_texts()
        if self.confidence is not None:
            confidence = to_number(self.confidence, "confidence")
            if not 0 <= confidence <= 100:
                raise InvalidSignal("confidence", f"must be between 0 and 100 (got {confidence!r})")
            object.__setattr__(self, "confidence", confidence)
        if self.signal_id is not None:
            check_signal_id(self.signal_id)
        object.__setattr__(self, "receivers", _check_receivers(self.receivers))

    def _check_prices(self) -> None:
        entry = to_price(self.entry, "entry")
        stop = to_price(self.stop, "sl")
        if not 1 <= len(self.targets) <= MAX_TARGETS:
            raise InvalidSignal(
                "targets", f"must hold 1 to {MAX_TARGETS} levels (got {len(self.targets)})"
            )
        targets = tuple(to_price(t, f"tp{i}") for i, t in enumerate(self.targets, start=1))
        sign = 1 if self.side is Side.LONG else -1
        above, below = ("above", "below") if sign == 1 else ("below", "above")
        if not sign * (entry - stop) > 0:
            raise InvalidSignal(
                "sl", f"must be {below} entry for {self.side} (got sl={stop} vs entry={entry})"
            )
        previous, previous_name = entry, "entry"
        for i, level in enumerate(targets, start=1):
            if not sign * (level - previous) > 0:
                raise InvalidSignal(
                    f"tp{i}",
                    f"must be {above} {previous_name} for {self.side} "
                    f"(got tp{i}={level} vs {previous_name}={previous})",
                )
            previous, previous_name = level, f"tp{i}"
        object.__setattr__(self, "entry", entry)
        object.__setattr__(self, "stop", stop)
        object.__setattr__(self, "targets", targets)

    def _check_time(self) -> None:
        created = self.created_at
        if not isinstance(created, datetime):
            raise InvalidSignal("created_at", f"must be a datetime (got {created!r})")
        if created.tzinfo is None or created.utcoffset() is None:
            raise InvalidSignal(
                "created_at", f"must carry a time zone (got naive {created.isoformat()})"
            )
        object.__setattr__(self, "created_at", created.astimezone(UTC))

    def _check_texts(self) -> None:
        if isinstance(self.reasons, str):
            raise InvalidSignal("reasons", f"must be a list of texts (got {self.reasons!r})")
        reasons = tuple(self.reasons)
        if len(reasons) > MAX_REASONS:
            raise InvalidSignal("reasons", f"at most {MAX_REASONS} (got {len(reasons)})")
        for i, reason in enumerate(reasons):
            if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_LEN:
                raise InvalidSignal(
                    f"reasons[{i}]",
                    f"must be a text of 1–{MAX_REASON_LEN} characters (got {reason!r})",
                )
        object.__setattr__(self, "reasons", tuple(r.strip() for r in reasons))
        object.__setattr__(self, "tags", tuple(_check_name(t, "tags") for t in self.tags))
        _check_name(self.strategy, "strategy")
        _check_name(self.source, "source")
        _check_name(self.exchange, "exchange")
        _check_name(self.market, "market")

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


def _check_receivers(receivers: Iterable[object]) -> tuple[int, ...]:
    out: list[int] = []
    for value in receivers:
        if value.__class__ is int and -(2**63) < value < 2**63:
            out.append(value)
            continue
        if isinstance(value, bool):
            raise InvalidSignal("receivers", f"must be Telegram user ids (got {value!r})")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise InvalidSignal("receivers", f"must be Telegram user ids (got {value!r})") from None
        if abs(number) >= 2**63:
            raise InvalidSignal("receivers", f"user id out of range (got {value!r})")
        out.append(number)
    unique = tuple(dict.fromkeys(out))
    if len(unique) > MAX_RECEIVERS:
        raise InvalidSignal("receivers", f"at most {MAX_RECEIVERS} (got {len(unique)})")
    return unique


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
