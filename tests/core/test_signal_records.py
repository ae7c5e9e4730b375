"""Around the signal: ids, sameness, tags, results, the future check and stored records."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import make_signal as make
from sigtrack.core.errors import InvalidSignal
from sigtrack.core.records import (
    Closing,
    SignalRecord,
)
from sigtrack.core.signals import (
    DEFAULT_TAG_RULES,
    FUTURE_TOLERANCE,
    ExitReason,
    Result,
    Status,
    base_signal_id,
    check_not_in_future,
    derive_tags,
    parse_result,
    same_content,
    suffixed_signal_id,
)

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


# --- ids ---------------------------------------------------------------------------


def test_base_id_keeps_the_old_scheme_user_symbol_unix_seconds() -> None:
    created = datetime.fromtimestamp(1771234567, UTC)
    assert base_signal_id(123456, "BTCUSDT", created) == "123456_BTCUSDT_1771234567"


def test_base_id_drops_fractions_of_a_second() -> None:
    created = datetime.fromtimestamp(1771234567, UTC) + timedelta(milliseconds=999)
    assert base_signal_id(1, "ETHUSDT", created) == "1_ETHUSDT_1771234567"


def test_base_id_depends_on_the_instant_not_the_zone_it_is_written_in() -> None:
    utc = datetime(2026, 2, 16, 10, 30, tzinfo=UTC)
    assert base_signal_id(7, "BTCUSDT", utc) == base_signal_id(7, "BTCUSDT", utc.astimezone(WIB))
    assert base_signal_id(7, "BTCUSDT", utc) == "7_BTCUSDT_1771237800"


def test_a_signal_without_receivers_has_user_id_zero_for_its_id() -> None:
    sig = make()
    assert base_signal_id(sig.user_id, sig.symbol, sig.created_at) == "0_BTCUSDT_1767607200"


def test_a_signal_with_receivers_uses_the_first_for_its_id() -> None:
    sig = make(receivers=[555, 123])
    assert base_signal_id(sig.user_id, sig.symbol, sig.created_at).startswith("555_BTCUSDT_")


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "1_X_9"), (1, "1_X_9"), (2, "1_X_9_2"), (3, "1_X_9_3"), (11, "1_X_9_11")],
)
def test_the_nth_signal_sharing_a_base_id_gets_a_suffix_from_the_second_on(
    n: int, expected: str
) -> None:
    assert suffixed_signal_id("1_X_9", n) == expected


@settings(max_examples=50)
@given(st.integers(min_value=2, max_value=10_000), st.integers(min_value=2, max_value=10_000))
def test_suffixed_ids_never_collide_with_each_other_or_the_base(a: int, b: int) -> None:
    base = "123456_BTCUSDT_1771234567"
    assert suffixed_signal_id(base, a) != base
    assert (suffixed_signal_id(base, a) == suffixed_signal_id(base, b)) == (a == b)


# --- same content ------------------------------------------------------------------


def test_the_same_signal_twice_has_no_differences() -> None:
    assert same_content(make(), make()) == []


def test_the_same_instant_written_in_another_zone_is_the_same_content() -> None:
    assert same_content(make(), make(created_at=NOW.astimezone(WIB))) == []


@pytest.mark.parametrize(
    ("changes", "differences"),
    [
        ({"entry": 50001.0}, ["entry"]),
        ({"targets": (51000.0,)}, ["targets"]),
        ({"stop": 48000.0, "confidence": 80}, ["stop", "confidence"]),
        ({"created_at": NOW + timedelta(seconds=1)}, ["created_at"]),
        ({"timeframe": "1h", "strategy": "v2"}, ["timeframe", "strategy"]),
        ({"reasons": ["Dip"]}, ["reasons"]),
    ],
)
def test_same_content_lists_the_fields_that_differ(
    changes: dict[str, Any], differences: list[str]
) -> None:
    assert same_content(make(), make(**changes)) == differences


def test_receivers_tags_and_caller_id_are_not_content() -> None:
    other = make(receivers=[1, 2], tags=("dip",), signal_id="abc")
    assert same_content(make(), other) == []


# --- tags --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reasons", "tags"),
    [
        (["Near demand zone", "Dip: -3.2%"], ("demand_zone", "dip")),
        (["Near SUPPLY zone"], ("supply_zone",)),
        (["Strong momentum", "Pump detected"], ("momentum", "pump")),
        (["Bullish reversal"], ("reversal",)),
        (["Dip: -3.2%", "Near demand zone"], ("demand_zone", "dip")),
        (["demand", "more demand"], ("demand_zone",)),
        (["RSI oversold"], ()),
        ([], ()),
    ],
)
def test_default_rules_derive_tags_case_insensitively_in_rule_order(
    reasons: list[str], tags: tuple[str, ...]
) -> None:
    assert derive_tags(reasons) == tags


def test_the_default_rules_cover_the_documented_examples() -> None:
    assert {tag for _, tag in DEFAULT_TAG_RULES} >= {"demand_zone", "supply_zone", "momentum"}


def test_a_custom_map_replaces_the_default_rules() -> None:
    rules = (("breakout", "breakout"), ("RSI", "rsi"), ("oversold", "rsi"))
    reasons = ["Range BREAKOUT", "rsi oversold", "Near demand zone"]
    assert derive_tags(reasons, rules) == ("breakout", "rsi")


def test_an_empty_map_derives_no_tags() -> None:
    assert derive_tags(["Near demand zone"], ()) == ()


@settings(max_examples=50)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_derived_tags_are_unique_and_each_one_is_backed_by_a_reason(reasons: list[str]) -> None:
    tags = derive_tags(reasons)
    assert len(set(tags)) == len(tags)
    for needle, tag in DEFAULT_TAG_RULES:
        backed = any(needle in r.lower() for r in reasons)
        assert (tag in tags) == backed


# --- results -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "result"),
    [("WIN", Result.WIN), ("loss", Result.LOSS), (" Expired ", Result.EXPIRED),
     ("breakeven", Result.BREAKEVEN), ("cancelled", Result.CANCELLED), (Result.WIN, Result.WIN)],
)  # fmt: skip
def test_parse_result_accepts_any_case(raw: Any, result: Result) -> None:
    assert parse_result(raw) is result


@pytest.mark.parametrize("raw", ["draw", "", None, 1, True])
def test_parse_result_refuses_unknown_results_naming_field_and_value(raw: Any) -> None:
    with pytest.raises(InvalidSignal) as caught:
        parse_result(raw, field="hit_tp")
    assert caught.value.field == "hit_tp"
    assert repr(raw) in str(caught.value)
    assert "win, loss, expired, breakeven, cancelled" in str(caught.value)


# --- the future --------------------------------------------------------------------


@pytest.mark.parametrize(
    "created_at", [NOW - timedelta(days=30), NOW, NOW + FUTURE_TOLERANCE, NOW.astimezone(WIB)]
)
def test_created_at_up_to_five_minutes_ahead_is_accepted(created_at: datetime) -> None:
    check_not_in_future(created_at, NOW)


@pytest.mark.parametrize(
    "created_at", [NOW + FUTURE_TOLERANCE + timedelta(seconds=1), NOW + timedelta(days=365)]
)
def test_created_at_further_in_the_future_is_refused_naming_created_at(
    created_at: datetime,
) -> None:
    with pytest.raises(InvalidSignal) as caught:
        check_not_in_future(created_at, NOW)
    assert caught.value.field == "created_at"
    assert created_at.isoformat() in str(caught.value)


def test_the_future_tolerance_is_five_minutes() -> None:
    assert timedelta(minutes=5) == FUTURE_TOLERANCE


# --- stored state ------------------------------------------------------------------


def test_an_open_record_has_no_result_pnl_or_close_time() -> None:
    record = SignalRecord(signal_id="0_BTCUSDT_1767607200", signal=make(), status=Status.ACTIVE)
    assert (record.result, record.pnl_pct, record.closed_at) == (None, None, None)


def test_a_closed_record_reads_its_result_pnl_and_close_time_from_the_closing() -> None:
    closed_at = NOW + timedelta(hours=3)
    closing = Closing(
        result=Result.WIN, exit_reason=ExitReason.TP2, closed_at=closed_at, pnl_pct=2.5
    )
    record = SignalRecord(signal_id="x1", signal=make(), status=Status.CLOSED, closing=closing)
    assert (record.result, record.pnl_pct, record.closed_at) == (Result.WIN, 2.5, closed_at)


@pytest.mark.parametrize(("pnl", "stored"), [(None, None), (-2, -2.0), ("1.8", 1.8), (0, 0.0)])
def test_closing_pnl_is_kept_as_a_float_or_none(pnl: Any, stored: float | None) -> None:
    closing = Closing(result=Result.LOSS, exit_reason=ExitReason.SL, closed_at=NOW, pnl_pct=pnl)
    assert closing.pnl_pct == stored


@pytest.mark.parametrize("pnl", [math.nan, math.inf, True, "lots"])
def test_closing_refuses_a_pnl_that_is_not_a_finite_number(pnl: Any) -> None:
    with pytest.raises(InvalidSignal) as caught:
        Closing(result=Result.WIN, exit_reason=ExitReason.TP1, closed_at=NOW, pnl_pct=pnl)
    assert caught.value.field == "pnl_pct"


def test_closing_refuses_a_naive_close_time() -> None:
    with pytest.raises(InvalidSignal) as caught:
        Closing(result=Result.WIN, exit_reason=ExitReason.TP1, closed_at=datetime(2026, 1, 5))
    assert caught.value.field == "closed_at"


def test_results_and_exit_reasons_are_stored_as_their_text() -> None:
    assert [r.value for r in Result] == ["WIN", "LOSS", "EXPIRED", "BREAKEVEN", "CANCELLED"]
    assert {"TP1", "TP2", "TP1_BE", "TP1_EXPIRED", "SL", "TIMEOUT", "MANUAL"} <= {
        e.value for e in ExitReason
    }
    assert Status.ACTIVE == "ACTIVE"


def test_a_closing_is_kept_in_utc_and_refuses_what_is_not_a_datetime() -> None:
    jakarta = timezone(timedelta(hours=7))
    closing = Closing(
        result=Result.WIN, exit_reason=ExitReason.MANUAL,
        closed_at=datetime(2026, 1, 5, 17, 0, tzinfo=jakarta),
    )  # fmt: skip
    assert closing.closed_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert closing.closed_at.tzinfo is UTC
    with pytest.raises(InvalidSignal, match="closed_at"):
        Closing(result=Result.WIN, exit_reason=ExitReason.MANUAL, closed_at="yesterday")  # type: ignore[arg-type]
