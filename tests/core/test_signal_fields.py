"""Signal fields besides the levels: symbol, timeframe, time, texts, receivers, ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from factories import make_signal as make
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidSignal
from sigtrack.core.signals import MAX_REASON_LEN, MAX_REASONS, normalize_symbol

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def refusal(**changes: Any) -> InvalidSignal:
    with pytest.raises(InvalidSignal) as caught:
        make(**changes)
    return caught.value


@pytest.mark.parametrize(
    "raw", ["BTCUSDT", "btcusdt", "BTC/USDT", "BTC/USDT:USDT", "BTC-USDT", "btc_usdt", " BTCUSDT "]
)
def test_symbol_spellings_normalise_to_the_exchange_form(raw: str) -> None:
    assert normalize_symbol(raw) == "BTCUSDT"
    assert make(symbol=raw).symbol == "BTCUSDT"


def test_symbols_with_digits_are_kept() -> None:
    assert normalize_symbol("1000pepe/usdt:usdt") == "1000PEPEUSDT"


@pytest.mark.parametrize(
    "raw", ["", "B", "BTC USDT", "BTC$USDT", "A" * 21, "ÄBCUSDT", None, 123, b"BTCUSDT"]
)
def test_bad_symbols_are_refused_naming_symbol_and_value(raw: Any) -> None:
    error = refusal(symbol=raw)
    assert error.field == "symbol"
    assert repr(raw) in str(error)


_PAIRS = st.builds(
    lambda base, sep, quote: base + sep + quote,
    st.text(alphabet="abcxyzABCXYZ0189", min_size=1, max_size=8),
    st.sampled_from(["", "/", "-", "_", ":", " "]),
    st.sampled_from(["USDT", "usdt", "BUSD", "btc", "USD"]),
)


@settings(max_examples=50)
@given(_PAIRS | st.text(max_size=30) | st.text(alphabet="abcXYZ019/-_: ", max_size=24))
def test_normalize_symbol_is_idempotent(raw: str) -> None:
    """Whatever normalises, normalises to itself again (symbol-shaped inputs mostly, so
    that most examples test something; what is refused is refused, no filtering)."""
    try:
        once = normalize_symbol(raw)
    except InvalidSignal:
        return
    assert normalize_symbol(once) == once


_ALNUM = st.text(alphabet="abcxyzABCXYZ0189", min_size=1, max_size=8)


@settings(max_examples=50)
@given(
    _ALNUM,
    _ALNUM,
    st.sampled_from(["/", "-", "_", ""]),
)
def test_any_base_and_quote_joined_by_a_separator_normalise_to_their_concatenation(
    base: str, quote: str, sep: str
) -> None:
    expected = (base + quote).upper()
    assume(len(expected) >= 2)
    assert normalize_symbol(f"{base}{sep}{quote}") == expected
    assert normalize_symbol(f"{base}/{quote}:{quote}") == expected


@pytest.mark.parametrize("raw", ["15m", "1H", " 4h ", Timeframe.D1])
def test_known_timeframes_are_accepted(raw: Any) -> None:
    assert isinstance(make(timeframe=raw).timeframe, Timeframe)


@pytest.mark.parametrize("raw", ["7m", "1y", None])
def test_unknown_timeframe_is_an_invalid_signal_naming_timeframe(raw: Any) -> None:
    error = refusal(timeframe=raw)
    assert error.field == "timeframe"


@pytest.mark.parametrize("raw", ["7m", "1y", None])
def test_unknown_timeframe_is_a_value_error_naming_timeframe_and_value(raw: Any) -> None:
    with pytest.raises(ValueError, match=r"^timeframe: ") as caught:
        make(timeframe=raw)
    assert repr(raw) in str(caught.value)


@pytest.mark.parametrize("zone", [UTC, timezone(timedelta(hours=7)), ZoneInfo("Asia/Jakarta")])
def test_aware_created_at_is_stored_as_the_same_instant_in_utc(zone: Any) -> None:
    local = datetime(2026, 1, 5, 17, 0, tzinfo=zone)
    sig = make(created_at=local)
    assert sig.created_at == local
    assert sig.created_at.utcoffset() == timedelta(0)
    assert sig.created_at.tzinfo is UTC


@pytest.mark.parametrize("created_at", [datetime(2026, 1, 5, 10, 0), "2026-01-05T10:00:00Z", None])
def test_naive_or_non_datetime_created_at_is_refused(created_at: Any) -> None:
    error = refusal(created_at=created_at)
    assert error.field == "created_at"


def test_naive_created_at_refusal_shows_the_value() -> None:
    assert "2026-01-05T10:00:00" in str(refusal(created_at=datetime(2026, 1, 5, 10, 0)))


def test_reasons_are_stripped_and_kept_in_order() -> None:
    sig = make(reasons=["  Near demand zone ", "Dip: -3.2%"])
    assert sig.reasons == ("Near demand zone", "Dip: -3.2%")


@pytest.mark.parametrize(
    ("reasons", "field"),
    [
        (["ok", "   "], "reasons[1]"),
        (["x" * (MAX_REASON_LEN + 1)], "reasons[0]"),
        (["ok", 42], "reasons[1]"),
        (["r"] * (MAX_REASONS + 1), "reasons"),
    ],
)
def test_bad_reasons_are_refused_naming_the_reason(reasons: list[Any], field: str) -> None:
    assert refusal(reasons=reasons).field == field


def test_a_reason_of_the_maximum_length_is_accepted() -> None:
    assert make(reasons=["x" * MAX_REASON_LEN]).reasons == ("x" * MAX_REASON_LEN,)


@pytest.mark.parametrize("name", ["strategy", "source", "exchange", "market"])
@pytest.mark.parametrize("value", ["", "x" * 65, "line\nbreak", "semi;colon", "<b>"])
def test_bad_names_are_refused_naming_the_field_and_value(name: str, value: str) -> None:
    error = refusal(**{name: value})
    assert error.field == name
    assert repr(value) in str(error)


@pytest.mark.parametrize("value", ["v2.1 breakout", "x" * 64, "okx/spot", "rsi:14-ema_50"])
def test_names_up_to_64_plain_characters_are_accepted(value: str) -> None:
    assert make(strategy=value, source=value).strategy == value


def test_bad_tag_is_refused_naming_tags() -> None:
    assert refusal(tags=("demand_zone", "bad tag!")).field == "tags"


@pytest.mark.parametrize(
    ("receivers", "stored"),
    [
        ((), ()),
        ([123456, 789], (123456, 789)),
        (["123456", " 789 "], (123456, 789)),
        ([5, 3, 5, 3, 1], (5, 3, 1)),
        ([-1001234567890], (-1001234567890,)),
    ],
)
def test_receivers_are_parsed_to_ints_and_deduplicated_in_order(
    receivers: Any, stored: tuple[int, ...]
) -> None:
    sig = make(receivers=receivers)
    assert sig.receivers == stored
    assert sig.user_id == (stored[0] if stored else 0)


@pytest.mark.parametrize("bad", [True, False, "abc", 12.5, None, 2**63, "1;2"])
def test_receivers_that_are_not_user_ids_are_refused(bad: Any) -> None:
    error = refusal(receivers=[1, bad])
    assert error.field == "receivers"
    assert repr(bad) in str(error)


@pytest.mark.parametrize("bad", ["", "_x", "a b", "x" * 129, 123, "id/with/slash"])
def test_bad_caller_supplied_signal_ids_are_refused(bad: Any) -> None:
    assert refusal(signal_id=bad).field == "signal_id"


def test_a_caller_supplied_signal_id_is_kept() -> None:
    assert make(signal_id="123456_BTCUSDT_1771234567").signal_id == "123456_BTCUSDT_1771234567"
