"""One set of signal rules (core/signal_rules.py, run by `validate_fields`), applied two
ways: `Signal(...)` checks its fields in `__post_init__`, `signal_of` checks the values and
builds the Signal without the dataclass `__init__` (the loop of `track_many`). Both give
the same Signal or the same error, on any values; and the quick decisions a rule makes
for the plain forms a bot sends agree with the rule's general branch."""

from __future__ import annotations

import inspect
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidSignal
from sigtrack.core.signal_input import KNOWN_KEYS, signal_from_mapping
from sigtrack.core.signal_rules import (
    check_confidence,
    check_timeframe,
    normalize_symbol,
    to_number,
    to_price,
)
from sigtrack.core.signals import Side, Signal, SignalDefaults, signal_of, validate_fields

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


class Text(str):
    """A str subclass: never a remembered text, so a rule takes its general branch."""


class Number(float):
    """A float subclass: a rule takes its general branch for it."""


class Whole(int):
    """An int subclass: a rule takes its general branch for it."""


FIELD_NAMES = [f.name for f in fields(Signal)]


def built_by_signal_of(values: dict[str, Any]) -> Signal:
    defaults = {f.name: f.default for f in fields(Signal)}
    return signal_of(*(values.get(name, defaults[name]) for name in FIELD_NAMES))


def exactly(signal: Signal) -> list[tuple[str, object, str]]:
    """Every field with its type (and its items' types) and repr: 80 is not 80.0."""
    out = []
    for f in fields(Signal):
        value = getattr(signal, f.name)
        kinds = (type(value), tuple(map(type, value)) if isinstance(value, tuple) else ())
        out.append((f.name, kinds, repr(value)))
    return out


def outcome(build: Any) -> tuple[str, object]:
    """What building gives: the exact Signal, or the error's type and message."""
    try:
        return "signal", exactly(build())
    except Exception as exc:  # the general path may raise anything; compare it whole
        return "error", (type(exc), str(exc))


# --- values: mostly plain and valid, now and then not ---------------------------------


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`valid` 11 times in 12: with a dozen fields, about a third of the signals are valid."""
    return st.integers(0, 11).flatmap(lambda n: other if n == 0 else valid)


zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-3, minutes=-30)),
     ZoneInfo("Asia/Jakarta"), ZoneInfo("America/New_York")]
)  # fmt: skip
span = {"min_value": datetime(1971, 1, 1), "max_value": datetime(2100, 1, 1)}
times = mostly(
    st.datetimes(**span, timezones=zones),
    st.one_of(
        st.datetimes(**span),  # naive
        st.sampled_from(["2026-01-05T10:00:00+07:00", "2026-01-05T10:00:00Z", 1767600000, "x"]),
    ),
)
bad_prices = st.sampled_from(
    [0, -1.0, float("nan"), float("inf"), True, "100", None, 10**400, 2**63]
)
prices = mostly(
    st.one_of(st.floats(min_value=1e-6, max_value=1e9), st.integers(1, 10**6)), bad_prices
)
good_names = st.sampled_from(["default", "v2", "autosignal", "binance", "usdm", "a b-c.d:e/f"])
names = mostly(
    good_names,
    st.one_of(st.sampled_from(["", "x" * 65, "bad!", 5, None, Text("v2")]), st.text(max_size=6)),
)
reasons = mostly(
    st.lists(st.sampled_from(["Near demand zone", "Dip: -3.2%", " momentum ", 'é "q"'])),
    st.one_of(
        st.lists(st.one_of(st.text(max_size=4), st.integers(), st.just("x" * 501)), max_size=3),
        st.sampled_from([None, "one reason", 5]),
    ),
)
receivers = mostly(
    st.one_of(
        st.lists(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1), max_size=6),
        st.lists(st.integers(min_value=1, max_value=5), max_size=6),  # repeats
    ),
    st.one_of(
        st.lists(
            st.one_of(st.integers(), st.booleans(), st.just("123"), st.just("x")),
            min_size=1,
            max_size=3,
        ),
        st.sampled_from([None, "1, 2,3", 42]),
    ),
)
sides = mostly(
    st.sampled_from(["LONG", "SHORT", "BUY", "sell", " long ", Side.SHORT]),
    st.sampled_from(["up", 1, None, Text("LONG")]),
)
timeframes = mostly(
    st.sampled_from(["15m", "1h", "4H", " 1d ", Timeframe.H4, Timeframe.M1]),
    st.sampled_from(["1M", "2m", 15, None]),
)
symbols = mostly(
    st.sampled_from(["BTCUSDT", "btc/usdt", "ETH-USDT", "SOLUSDT:USDT", "1000PEPEUSDT"]),
    st.sampled_from(["X", "", "TOO_LONG" * 4, 5, None, Text("BTCUSDT")]),
)
confidences = mostly(
    st.one_of(st.none(), st.integers(0, 100), st.floats(0, 100)),
    st.sampled_from([-5, 101, 100.5, float("nan"), True, "80"]),
)
signal_ids = mostly(
    st.sampled_from([None, None, "777_BTCUSDT_1767600000", "id.with:all-kinds_1"]),
    st.sampled_from(["bad id", "", 5, "_x"]),
)


@st.composite
def levels(draw: st.DrawFn) -> dict[str, object]:
    """Entry, stop and targets: in order for the side most of the time, else anything."""
    side = draw(sides)
    if draw(st.integers(0, 7)):
        entry = draw(st.floats(min_value=1e-3, max_value=1e6))
        gaps = draw(st.lists(st.floats(min_value=1e-4, max_value=0.2), min_size=2, max_size=11))
        sign = -1 if isinstance(side, str) and side.strip().upper() in {"SHORT", "SELL"} else 1
        stop = entry * (1 - sign * gaps[0])
        targets, level = [], entry
        for gap in gaps[1:]:
            level = level * (1 + sign * gap)
            targets.append(level)
        as_int = draw(st.booleans())  # a round entry given as an int
        return {"side": side, "entry": round(entry) or 1 if as_int else entry,
                "stop": stop, "targets": targets}  # fmt: skip
    return {
        "side": side,
        "entry": draw(prices),
        "stop": draw(prices),
        "targets": draw(st.one_of(st.lists(prices, max_size=11), st.just("51000"))),
    }


@st.composite
def field_values(draw: st.DrawFn) -> dict[str, object]:
    chosen = draw(levels())
    targets = chosen["targets"]
    return chosen | {
        "symbol": draw(symbols),
        "timeframe": draw(timeframes),
        "targets": tuple(targets) if draw(st.booleans()) and isinstance(targets, list) else targets,
        "created_at": draw(times),
        "confidence": draw(confidences),
        "reasons": tuple(r) if isinstance(r := draw(reasons), list) else r,
        "tags": tuple(draw(st.lists(names, max_size=3))),
        "strategy": draw(names),
        "source": draw(good_names),
        "receivers": tuple(r) if isinstance(r := draw(receivers), list) else r,
        "exchange": draw(good_names),
        "market": draw(names),
        "signal_id": draw(signal_ids),
    }


BASE: dict[str, Any] = {"symbol": "BTCUSDT", "side": "LONG", "timeframe": "15m",
                        "entry": 100.0, "targets": (110.0, 120.0), "stop": 90.0,
                        "created_at": NOW}  # fmt: skip
EDGES = [
    {"stop": 100.0},
    {"targets": (100.0, 120.0)},
    {"targets": (110.0, 110.0)},
    {"side": "SHORT", "stop": 100.0, "targets": (90.0,)},
    {"side": "SHORT"},
    {"entry": 100, "stop": 90, "targets": [110, 120]},
    {"targets": ()},
    {"targets": tuple(float(110 + i) for i in range(10))},
    {"targets": tuple(float(110 + i) for i in range(11))},
    {"confidence": 0},
    {"confidence": 100},
    {"confidence": 100.0000001},
    {"confidence": -0.0},
    {"receivers": (2**63 - 1, -(2**63) + 1)},
    {"receivers": (2**63,)},
    {"receivers": (1, 1, 2)},
    {"reasons": ("x" * 500,)},
    {"reasons": ("x" * 501,)},
    {"reasons": ("  ",)},
    {"reasons": ("r",) * 50},
    {"reasons": ("r",) * 51},
    {"tags": ("x" * 64,)},
    {"tags": ("x" * 65,)},
    {"entry": 2**63 - 1, "targets": (2.0**64,), "stop": 1},
    {"created_at": datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Jakarta"))},
]


def test_validate_fields_takes_the_fields_of_signal_in_their_order() -> None:
    params = list(inspect.signature(validate_fields).parameters)
    assert params == FIELD_NAMES
    assert list(inspect.signature(signal_of).parameters) == FIELD_NAMES


@pytest.mark.parametrize("change", EDGES)
def test_both_ways_agree_at_the_edges_of_each_rule(change: dict[str, Any]) -> None:
    values = BASE | change
    assert outcome(lambda: built_by_signal_of(values)) == outcome(lambda: Signal(**values))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(values=field_values())
def test_signal_of_gives_what_signal_gives_the_same_signal_or_the_same_error(
    values: dict[str, Any],
) -> None:
    assert outcome(lambda: built_by_signal_of(values)) == outcome(lambda: Signal(**values))


plain_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0.0, -0.0, 5e-324, 1.7976931348623157e308, 2**63 - 1, 2**63, -(2**63)]),
    st.sampled_from([-1, 0, 1, 100, 101, -0.5, 100.0, 100.5]),  # the edges of confidence
)


def general(value: object) -> object:
    """The same number as a subclass, which every quick decision leaves alone."""
    return Number(value) if type(value) is float else Whole(value)


@settings(max_examples=400)
@given(value=plain_numbers)
def test_the_quick_number_decisions_agree_with_each_rules_general_branch(value: Any) -> None:
    for rule in (
        lambda v: to_price(v, "entry"),
        lambda v: to_number(v, "pnl_pct"),
        check_confidence,
    ):
        quick, slow = outcome_of(rule, value), outcome_of(rule, general(value))
        assert quick == slow


@settings(max_examples=300)
@given(
    text=st.one_of(
        st.sampled_from(["BTCUSDT", "btc/usdt", " eth-usdt ", "1000PEPEUSDT", "X", "15m", "4H"]),
        st.sampled_from(["1M", " 1d ", "SOL_USDT:USDT", "sol/usdt", "bad!", ""]),
        st.text(alphabet="abcXYZ019/-_: mhdw", max_size=12),
    )
)
def test_remembered_texts_give_what_the_rule_gives_a_text_it_has_not_seen(text: str) -> None:
    for rule in (normalize_symbol, check_timeframe):
        first = outcome_of(rule, text)
        assert outcome_of(rule, text) == first  # now perhaps remembered
        assert outcome_of(rule, Text(text)) == first  # a subclass is never looked up


def outcome_of(rule: Any, value: object) -> tuple[str, object]:
    try:
        result = rule(value)
    except InvalidSignal as exc:
        return "error", str(exc)
    return "value", (type(result), repr(result))


@pytest.mark.parametrize(
    ("change", "field", "shown"),
    [
        ({"targets": "51000"}, "targets", "must be a list of prices (got '51000')"),
        ({"targets": 51000.0}, "targets", "must be a list of prices (got 51000.0)"),
        ({"reasons": 5}, "reasons", "must be a list of texts (got 5)"),
        ({"reasons": "dip"}, "reasons", "must be a list of texts (got 'dip')"),
        ({"tags": "dip"}, "tags", "must be a list of names (got 'dip')"),
        ({"receivers": "123"}, "receivers", "must be a list of user ids (got '123')"),
        ({"receivers": 42}, "receivers", "must be a list of user ids (got 42)"),
    ],
)
def test_a_text_or_a_single_value_where_a_list_belongs_is_refused_naming_the_field(
    change: dict[str, Any], field: str, shown: str
) -> None:
    values = BASE | change
    for build in (lambda: Signal(**values), lambda: built_by_signal_of(values)):
        with pytest.raises(InvalidSignal) as caught:
            build()
        assert caught.value.field == field
        assert str(caught.value) == f"{field}: {shown}"


def test_lists_of_any_kind_are_read_like_tuples() -> None:
    values = BASE | {"targets": iter([110.0, 120.0]), "reasons": ["a "], "receivers": [3, 3, 1]}
    signal = Signal(**values)
    assert (signal.targets, signal.reasons, signal.receivers) == ((110.0, 120.0), ("a",), (3, 1))


@st.composite
def bot_dicts(draw: st.DrawFn) -> dict[str, object]:
    """A bot's dict: its usual keys and aliases, sometimes unknown or missing ones."""
    values = draw(field_values())
    tps = values["targets"] if isinstance(values["targets"], list | tuple) else [1.0]
    data: dict[str, object] = {
        "symbol": values["symbol"],
        "timeframe": values["timeframe"],
        draw(st.sampled_from(["side", "signal_type", "direction"])): values["side"],
        draw(st.sampled_from(["entry_price", "entry", "price"])): values["entry"],
        draw(st.sampled_from(["sl", "stop", "stop_loss"])): values["stop"],
        "confidence": values["confidence"],
        "reasons": draw(reasons),
        draw(st.sampled_from(["created_at", "timestamp", "time"])): values["created_at"],
    }
    if draw(st.booleans()):
        data |= {f"tp{i}": level for i, level in enumerate(tps, start=1)}
    else:
        data["targets"] = values["targets"]
    optional = {
        "tp2": draw(st.sampled_from([0, "0", "", None, 1.5])),
        "tp5": draw(prices),
        "tags": draw(st.one_of(st.lists(names, max_size=2), st.just("dip"))),
        "strategy": values["strategy"],
        "source": draw(st.sampled_from(["", None, "manual", 5])),
        "receivers": draw(receivers),
        "user_id": draw(st.sampled_from([0, "0", 42, None, True, 2**64])),
        "signal_id": values["signal_id"],
        "exchange": values["exchange"],
        "market": values["market"],
        "price": draw(prices),
        "typo_key": 1,
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), max_size=5, unique=True)):
        data[key] = optional[key]
    for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=2, unique=True)):
        del data[key]
    return data


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=bot_dicts(),
    strict=st.booleans(),
    created_at=st.one_of(st.none(), times),
    given_receivers=st.one_of(st.none(), st.lists(st.integers(1, 9), max_size=3)),
    naive_tz=st.sampled_from([None, ZoneInfo("Asia/Jakarta")]),
)
@example(
    data={"symbol": "BTCUSDT", "timeframe": "15m", "side": "LONG", "confidence": 80,
          "reasons": ["Near demand zone", "Dip: -3.2%"], "price": 50000.0,
          "entry_price": 50000.0, "tp1": 51000.0, "tp2": 52000.0, "sl": 49000.0,
          "created_at": NOW, "receivers": [5, 4, 3, 2, 1]},
    strict=True, created_at=None, given_receivers=None, naive_tz=None,
)  # fmt: skip
def test_any_mapping_gives_the_signal_or_the_error_a_dict_gives(
    data: dict[str, object],
    strict: bool,
    created_at: Any,
    given_receivers: list[int] | None,
    naive_tz: Any,
) -> None:
    kwargs: dict[str, Any] = {"defaults": SignalDefaults(strategy="s1"), "strict": strict,
                              "created_at": created_at, "receivers": given_receivers,
                              "naive_tz": naive_tz}  # fmt: skip
    from_dict = outcome(lambda: signal_from_mapping(data, **kwargs))
    # A read-only view is a Mapping but not a dict (signal_from_mapping checks a dict quicker).
    from_view = outcome(lambda: signal_from_mapping(MappingProxyType(data), **kwargs))
    assert from_dict == from_view


def test_the_old_bot_dict_gives_the_signal_of_its_fields() -> None:
    data = {"symbol": "BTCUSDT", "timeframe": "15m", "side": "LONG", "confidence": 80,
            "reasons": ["Near demand zone"], "price": 50000.0, "entry_price": 50000.0,
            "tp1": 51000.0, "tp2": 52000.0, "sl": 49000.0, "created_at": NOW,
            "receivers": [1, 2, 3, 4, 5]}  # fmt: skip
    assert set(data) <= KNOWN_KEYS
    expected = Signal(
        symbol="BTCUSDT", side="LONG", timeframe="15m", entry=50000.0,
        targets=(51000.0, 52000.0), stop=49000.0, created_at=NOW, confidence=80,
        reasons=("Near demand zone",), tags=("demand_zone",), receivers=(1, 2, 3, 4, 5),
    )  # fmt: skip
    assert exactly(signal_from_mapping(data)) == exactly(expected)
