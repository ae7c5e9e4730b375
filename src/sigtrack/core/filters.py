"""Which signals a comparison side, a report or an export looks at: `key=value,…`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, tzinfo

from sigtrack.core.candles import parse_timeframe
from sigtrack.core.errors import InvalidInput
from sigtrack.core.signal_input import parse_datetime
from sigtrack.core.signals import normalize_symbol, parse_side


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalFilter:
    """Signals matching every given field (None: any). Times bound `created_at`."""

    strategy: str | None = None
    symbol: str | None = None
    side: str | None = None
    timeframe: str | None = None
    tag: str | None = None
    source: str | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    min_confidence: float | None = None

    def describe(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                shown = value.isoformat() if isinstance(value, datetime) else value
                parts.append(f"{f.name}={shown}")
        return ",".join(parts) or "all"


KEYS = tuple(f.name for f in fields(SignalFilter))


def parse_filter(text: str, zone: tzinfo, *, option: str = "filter") -> SignalFilter:
    """`strategy=v2,since=2026-11-01` → SignalFilter; dates without an offset are local."""
    values: dict[str, object] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise InvalidInput(option, f"each part must look like key=value (got {part!r})")
        if key not in KEYS:
            raise InvalidInput(option, f"unknown key {key!r}; known: {', '.join(KEYS)}")
        values[key] = _value(key, value, zone, option)
    chosen = SignalFilter(**values)  # type: ignore[arg-type]
    if chosen.since and chosen.until and chosen.until <= chosen.since:
        raise InvalidInput(option, f"until must be after since (got {text!r})")
    return chosen


def _value(key: str, value: str, zone: tzinfo, option: str) -> object:
    try:
        if key in ("since", "until"):
            return parse_datetime(value, f"{option}.{key}", zone)
        if key == "symbol":
            return normalize_symbol(value)
        if key == "side":
            return parse_side(value).value
        if key == "timeframe":
            return parse_timeframe(value, f"{option}.timeframe").value
        if key == "min_confidence":
            return float(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{option}.{key}", exc.reason) from None
    except ValueError:
        raise InvalidInput(f"{option}.{key}", f"must be a number (got {value!r})") from None
    return value
