"""Turn the dicts bots already build (and JSON lines) into a `Signal`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sigtrack.core.errors import InvalidSignal
from sigtrack.core.signals import (
    MAX_TARGETS,
    Signal,
    SignalDefaults,
    derive_tags,
    signal_of,
    to_number,
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "side": ("side", "signal_type", "direction", "type"),
    "entry": ("entry", "entry_price"),
    "stop": ("sl", "stop", "stop_loss"),
    "created_at": ("created_at", "timestamp", "time"),
}
KNOWN_KEYS = frozenset(
    {
        "symbol", "timeframe", "price", "targets", "confidence", "reasons", "tags", "strategy",
        "source", "receivers", "signal_id", "exchange", "market", "user_id",
        *(name for names in _ALIASES.values() for name in names),
        *(f"tp{i}" for i in range(1, MAX_TARGETS + 1)),
    }
)  # fmt: skip


_TARGET_KEYS = tuple(f"tp{i}" for i in range(1, MAX_TARGETS + 1))
_LATER_KEYS = tuple(frozenset(_TARGET_KEYS[i + 1 :]) for i in range(MAX_TARGETS))
_ENTRY_KEYS = (*_ALIASES["entry"], "price")


def _first(data: Mapping[str, object], names: Iterable[str]) -> tuple[str, object] | None:
    for name in names:
        if name in data and data[name] is not None:
            return name, data[name]
    return None


def _value(data: Mapping[str, object], names: Iterable[str]) -> object:
    """`_first`'s value (None when no name has one)."""
    for name in names:
        value = data.get(name)
        if value is not None:
            return value
    return None


def json_problem(exc: json.JSONDecodeError) -> str:
    """`not valid JSON: Expecting ',' delimiter (column 12)` for a report line."""
    return f"not valid JSON: {exc.msg.removesuffix(' at')} (column {exc.colno})"


def parse_datetime(value: object, field: str, naive_tz: object = None) -> datetime:
    """ISO-8601 text, unix seconds or a datetime → aware UTC datetime.

    A naive value is read in `naive_tz` (a tzinfo) when given, and refused otherwise.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(to_number(value, field), UTC)
        except (ValueError, OverflowError, OSError):
            raise InvalidSignal(
                field, f"must be unix seconds within years 1–9999 (got {value!r})"
            ) from None
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise InvalidSignal(field, f"must be an ISO-8601 time (got {value!r})") from None
    else:
        raise InvalidSignal(field, f"must be an ISO-8601 time (got {value!r})")
    if moment.tzinfo is None or moment.utcoffset() is None:
        if naive_tz is None:
            raise InvalidSignal(
                field, f"must carry a time zone, e.g. 2026-01-05T10:00:00+07:00 (got {value!r})"
            )
        moment = moment.replace(tzinfo=naive_tz)  # type: ignore[arg-type]
    return moment.astimezone(UTC)


def _targets(data: Mapping[str, object]) -> tuple[object, ...]:
    if data.get("targets") is not None:
        both = [k for k in ("tp1", "tp2") if data.get(k) is not None]
        if both:
            raise InvalidSignal("targets", f"give either targets or {both[0]}, not both")
        raw = data["targets"]
        if not isinstance(raw, list | tuple):
            raise InvalidSignal("targets", f"must be a list of prices (got {raw!r})")
        return tuple(raw)
    levels: list[object] = []
    for i, key in enumerate(_TARGET_KEYS):
        value = data.get(key)
        if type(value) is float and value:  # a level: the usual case, decided at once
            levels.append(value)
            continue
        # The old bot passed `sig.get("tp2", 0)`: 0 or null means "no such target".
        if value is None or (i > 0 and value in (0, 0.0, "0", "")):
            if _LATER_KEYS[i].isdisjoint(data):  # no later key at all: the usual case
                break
            later = [k for k in _TARGET_KEYS[i + 1 :] if data.get(k)]
            if later:
                raise InvalidSignal(key, f"is missing while {later[0]} is given")
            break
        levels.append(value)
    if not levels:
        raise InvalidSignal("tp1", f"is required (got {data.get('tp1')!r})")
    return tuple(levels)


def _text_list(value: object, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(value)
    raise InvalidSignal(field, f"must be a list of texts (got {value!r})")


def _receivers(value: object) -> tuple[object, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.replace(" ", "").split(",") if part)
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def signal_from_mapping(
    data: Mapping[str, object],
    *,
    defaults: SignalDefaults = SignalDefaults(),
    created_at: datetime | None = None,
    receivers: Iterable[object] | None = None,
    strict: bool = False,
    naive_tz: object = None,
) -> Signal:
    """Build a Signal from a bot's dict (`entry_price`, `tp1`, `tp2`, `sl`, `side` …).

    `created_at` and `receivers` given here win over the dict. With `strict`, unknown
    keys are refused (for files, where a typo must not vanish silently). Only the keys
    are read here; the values are judged by the signal's own rules (`signal_of`).
    """
    if type(data) is not dict and not isinstance(data, Mapping):
        raise InvalidSignal("signal", f"must be a mapping of fields (got {type(data).__name__})")
    if strict and not KNOWN_KEYS.issuperset(data):
        unknown = sorted(set(data) - KNOWN_KEYS)
        raise InvalidSignal(unknown[0], f"is not a signal field (got keys {unknown})")
    get = data.get
    if created_at is None:
        found = _first(data, _ALIASES["created_at"])
        if found is None:
            raise InvalidSignal("created_at", "is required")
        created_at = parse_datetime(found[1], found[0], naive_tz)
    reasons = _text_list(get("reasons"), "reasons")
    explicit_tags = _text_list(get("tags"), "tags")
    all_receivers = _receivers(get("receivers")) if receivers is None else tuple(receivers)
    if not all_receivers and get("user_id") not in (None, 0, "0"):
        all_receivers = (data["user_id"],)
    return signal_of(
        get("symbol"),
        _value(data, _ALIASES["side"]),
        get("timeframe"),
        _value(data, _ENTRY_KEYS),
        _targets(data),
        _value(data, _ALIASES["stop"]),
        created_at,
        get("confidence"),
        reasons,
        _tags(reasons, explicit_tags, defaults.tag_rules),
        str(get("strategy") or defaults.strategy),
        str(get("source") or defaults.source),
        all_receivers,
        str(get("exchange") or defaults.exchange),
        str(get("market") or defaults.market),
        get("signal_id"),
    )


def _tags(
    reasons: tuple[object, ...],
    explicit: tuple[object, ...],
    rules: tuple[tuple[str, str], ...],
) -> tuple[object, ...]:
    """The tags derived from the reasons (those that are texts), then the explicit ones,
    each once."""
    derived = derive_tags([r for r in reasons if isinstance(r, str)], rules)
    return tuple(dict.fromkeys((*derived, *explicit))) if explicit else derived
