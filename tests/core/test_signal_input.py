"""signal_from_mapping takes the bot's own dict (and JSON lines) as they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import bot_signal
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidSignal
from sigtrack.core.signal_input import parse_datetime, signal_from_mapping
from sigtrack.core.signals import Side, Signal, SignalDefaults

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")
OLD_BOT_DICT: dict[str, Any] = bot_signal()
OLD_TRACKER_LINE: dict[str, Any] = {
    "signal_id": "123456_BTCUSDT_1771234567",
    "user_id": 123456,
    "symbol": "BTCUSDT",
    "timeframe": "15m",
    "signal_type": "LONG",
    "entry_price": 50000,
    "tp1": 51000,
    "tp2": 52000,
    "sl": 49000,
    "timestamp": "2026-02-16T10:30:00Z",
}
MINIMAL: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "timeframe": "15m",
    "side": "LONG",
    "entry": 50000.0,
    "tp1": 51000.0,
    "sl": 49000.0,
}
SHORT_LEVELS: dict[str, Any] = {"tp1": 49000.0, "sl": 51000.0}


def build(data: dict[str, Any], **kwargs: Any) -> Signal:
    kwargs.setdefault("created_at", NOW)
    return signal_from_mapping(data, **kwargs)


def refusal(data: Any, **kwargs: Any) -> InvalidSignal:
    with pytest.raises(InvalidSignal) as caught:
        build(data, **kwargs)
    return caught.value


def test_the_old_bot_dict_is_accepted_as_is_with_tags_derived_from_reasons() -> None:
    sig = build(OLD_BOT_DICT, receivers=[111, 222])
    assert (sig.symbol, sig.side, sig.timeframe) == ("BTCUSDT", Side.LONG, Timeframe.M15)
    assert (sig.entry, sig.targets, sig.stop) == (50000.0, (51000.0, 52000.0), 49000.0)
    assert sig.confidence == 80.0
    assert sig.reasons == ("Near demand zone", "Dip: -3.2%")
    assert sig.tags == ("demand_zone", "dip")
    assert (sig.strategy, sig.source) == ("default", "autosignal")
    assert (sig.created_at, sig.receivers, sig.user_id) == (NOW, (111, 222), 111)


def test_the_old_bot_dict_passes_strict_mode() -> None:
    assert build(OLD_BOT_DICT, strict=True).tags == ("demand_zone", "dip")


def test_the_old_bot_dict_is_not_changed() -> None:
    before = {k: (list(v) if isinstance(v, list) else v) for k, v in OLD_BOT_DICT.items()}
    build(OLD_BOT_DICT)
    assert before == OLD_BOT_DICT


def test_the_old_tracker_line_reads_its_own_time_user_and_id() -> None:
    sig = signal_from_mapping(OLD_TRACKER_LINE, strict=True)
    assert sig.created_at == datetime(2026, 2, 16, 10, 30, tzinfo=UTC)
    assert sig.side is Side.LONG
    assert sig.receivers == (123456,)
    assert sig.signal_id == "123456_BTCUSDT_1771234567"


def test_without_any_time_created_at_is_required() -> None:
    with pytest.raises(InvalidSignal, match=r"^created_at: is required$"):
        signal_from_mapping(OLD_BOT_DICT)


def test_created_at_given_as_argument_wins_over_the_dict() -> None:
    assert build(OLD_TRACKER_LINE).created_at == NOW


@pytest.mark.parametrize(
    ("changes", "attr", "expected"),
    [
        ({"side": None, "signal_type": "SHORT", **SHORT_LEVELS}, "side", Side.SHORT),
        ({"side": None, "direction": "sell", **SHORT_LEVELS}, "side", Side.SHORT),
        ({"side": None, "type": "BUY"}, "side", Side.LONG),
        ({"side": "BUY", "signal_type": "SELL"}, "side", Side.LONG),
        ({"entry": None, "entry_price": 50000}, "entry", 50000.0),
        ({"entry": None, "price": 50000}, "entry", 50000.0),
        ({"entry": 50000, "price": 1.0}, "entry", 50000.0),
        ({"sl": None, "stop": 49500}, "stop", 49500.0),
        ({"sl": None, "stop_loss": 49500}, "stop", 49500.0),
        ({"tp1": None, "targets": [51000, 53000]}, "targets", (51000.0, 53000.0)),
        ({"tp2": 52000, "tp3": 53000}, "targets", (51000.0, 52000.0, 53000.0)),
        ({"symbol": "btc/usdt:usdt"}, "symbol", "BTCUSDT"),
        ({"timeframe": "1H"}, "timeframe", Timeframe.H1),
    ],
)
def test_aliases_and_other_spellings_are_understood(
    changes: dict[str, Any], attr: str, expected: Any
) -> None:
    assert getattr(build({**MINIMAL, **changes}), attr) == expected


@pytest.mark.parametrize("no_target", [0, 0.0, "0", "", None])
def test_tp2_zero_or_empty_means_no_second_target(no_target: Any) -> None:
    sig = build({**OLD_BOT_DICT, "tp2": no_target})
    assert sig.targets == (51000.0,)
    assert sig.tp2 is None


def test_a_missing_tp2_means_a_single_target() -> None:
    assert build(MINIMAL).targets == (51000.0,)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tp1": None}, "tp1"),
        ({"tp1": 0}, "tp1"),
        ({"entry": None}, "entry"),
        ({"entry": 0}, "entry"),
        ({"sl": None}, "sl"),
        ({"sl": 0}, "sl"),
        ({"side": None}, "side"),
        ({"symbol": None}, "symbol"),
        ({"targets": "51000"}, "targets"),
        ({"targets": []}, "targets"),
        ({"reasons": 5}, "reasons"),
        ({"tags": 5}, "tags"),
        ({"receivers": "1,x"}, "receivers"),
        ({"confidence": 120}, "confidence"),
        ({"tp2": 50500}, "tp2"),
    ],
)
def test_missing_or_bad_fields_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    assert refusal({**MINIMAL, **changes}).field == field


def test_an_old_bot_default_of_zero_for_a_missing_entry_is_refused() -> None:
    error = refusal({**OLD_BOT_DICT, "entry_price": 0, "price": 0})
    assert str(error) == "entry: must be greater than 0 (got 0)"


def test_a_non_mapping_is_refused() -> None:
    assert refusal([("symbol", "BTCUSDT")]).field == "signal"


def test_strict_mode_refuses_unknown_keys_naming_the_first() -> None:
    error = refusal({**MINIMAL, "tp_1": 51000, "entrypirce": 5}, strict=True)
    assert error.field == "entrypirce"
    assert "'tp_1'" in str(error)


def test_without_strict_mode_unknown_keys_are_ignored() -> None:
    assert build({**MINIMAL, "note": "hi", "tp11": 9e9}).targets == (51000.0,)


@pytest.mark.parametrize(
    ("receivers", "stored"),
    [
        ("1,2,3", (1, 2, 3)),
        ("1, 2, 2, 3", (1, 2, 3)),
        ("123456", (123456,)),
        ("", ()),
        (["7", 8], (7, 8)),
        (99, (99,)),
        (None, ()),
    ],
)
def test_receivers_may_be_comma_separated_text(receivers: Any, stored: tuple[int, ...]) -> None:
    assert build({**MINIMAL, "receivers": receivers}).receivers == stored


def test_receivers_given_as_argument_win_over_the_dict() -> None:
    sig = build({**MINIMAL, "receivers": "1,2", "user_id": 9}, receivers=["5"])
    assert sig.receivers == (5,)


@pytest.mark.parametrize(("user_id", "stored"), [(42, (42,)), (0, ()), ("0", ()), (None, ())])
def test_user_id_stands_in_when_there_are_no_receivers(
    user_id: Any, stored: tuple[int, ...]
) -> None:
    assert build({**MINIMAL, "user_id": user_id}).receivers == stored


def test_a_single_reason_text_is_one_reason() -> None:
    sig = build({**MINIMAL, "reasons": "Near supply zone"})
    assert (sig.reasons, sig.tags) == (("Near supply zone",), ("supply_zone",))


def test_explicit_tags_are_added_after_derived_ones_without_duplicates() -> None:
    sig = build({**OLD_BOT_DICT, "tags": ["dip", "manual_pick"]})
    assert sig.tags == ("demand_zone", "dip", "manual_pick")


def test_defaults_fill_what_the_dict_leaves_out() -> None:
    defaults = SignalDefaults(
        strategy="v2", source="manual", exchange="bybit", market="spot",
        tag_rules=(("demand", "dz"),),
    )  # fmt: skip
    sig = build(OLD_BOT_DICT, defaults=defaults)
    assert (sig.strategy, sig.source, sig.exchange, sig.market) == ("v2", "manual", "bybit", "spot")
    assert sig.tags == ("dz",)
    own = build({**OLD_BOT_DICT, "strategy": "v3", "source": "autosignal"}, defaults=defaults)
    assert (own.strategy, own.source) == ("v3", "autosignal")


@settings(max_examples=50)
@given(
    entry=st.floats(min_value=1e-4, max_value=1e6),
    risk=st.floats(min_value=1e-3, max_value=0.09),
    n=st.integers(min_value=1, max_value=10),
)
def test_any_valid_long_dict_with_tp_keys_round_trips_its_levels(
    entry: float, risk: float, n: int
) -> None:
    levels = {f"tp{k}": entry * (1 + k * risk) for k in range(1, n + 1)}
    data = {**MINIMAL, "entry": entry, "sl": entry * (1 - risk), **levels, "tp1": levels["tp1"]}
    sig = build(data, strict=True)
    assert sig.targets == tuple(levels.values())
    assert (sig.entry, sig.stop) == (entry, entry * (1 - risk))


# --- parse_datetime ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "naive_tz", "expected"),
    [
        ("2026-02-16T10:30:00Z", None, datetime(2026, 2, 16, 10, 30, tzinfo=UTC)),
        ("2026-02-16T17:30:00+07:00", None, datetime(2026, 2, 16, 10, 30, tzinfo=UTC)),
        ("2026-02-16 17:30:00.250+07:00", None, datetime(2026, 2, 16, 10, 30, 0, 250000, UTC)),
        ("2026-02-16T17:30:00", JAKARTA, datetime(2026, 2, 16, 10, 30, tzinfo=UTC)),
        ("2026-02-16T10:30:00Z", JAKARTA, datetime(2026, 2, 16, 10, 30, tzinfo=UTC)),
        (1771237800, None, datetime(2026, 2, 16, 10, 30, tzinfo=UTC)),
        (1771237800.5, None, datetime(2026, 2, 16, 10, 30, 0, 500000, UTC)),
        (datetime(2026, 2, 16, 17, 30), JAKARTA, datetime(2026, 2, 16, 10, 30, tzinfo=UTC)),
        (
            datetime(2026, 2, 16, 17, 30, tzinfo=timezone(timedelta(hours=7))),
            None,
            datetime(2026, 2, 16, 10, 30, tzinfo=UTC),
        ),
    ],
)
def test_parse_datetime_reads_iso_text_unix_seconds_and_datetimes_as_utc(
    raw: Any, naive_tz: Any, expected: datetime
) -> None:
    parsed = parse_datetime(raw, "timestamp", naive_tz)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("raw", ["2026-02-16T17:30:00", datetime(2026, 2, 16, 17, 30)])
def test_parse_datetime_refuses_a_naive_time_without_a_zone_to_read_it_in(raw: Any) -> None:
    with pytest.raises(InvalidSignal) as caught:
        parse_datetime(raw, "timestamp")
    assert caught.value.field == "timestamp"
    assert "time zone" in str(caught.value)


@pytest.mark.parametrize(
    "raw", ["yesterday", "", "2026-13-01T00:00:00Z", "1771237800", None, True, [2026], float("nan")]
)
def test_parse_datetime_refuses_garbage_naming_the_field(raw: Any) -> None:
    with pytest.raises(InvalidSignal) as caught:
        parse_datetime(raw, "closed_at")
    assert caught.value.field == "closed_at"
    assert str(caught.value).startswith("closed_at: ")


@pytest.mark.parametrize("raw", [1771237800000, 1e20], ids=["unix_ms", "far_future"])
def test_parse_datetime_refuses_unix_times_out_of_range_naming_the_field(raw: float) -> None:
    with pytest.raises(InvalidSignal) as caught:
        parse_datetime(raw, "timestamp")
    assert caught.value.field == "timestamp"


def test_a_naive_dict_time_is_read_in_the_given_zone() -> None:
    data = {**MINIMAL, "timestamp": "2026-02-16T17:30:00"}
    sig = signal_from_mapping(data, naive_tz=JAKARTA)
    assert sig.created_at == datetime(2026, 2, 16, 10, 30, tzinfo=UTC)


def test_a_garbage_dict_time_is_refused_naming_the_key_it_came_from() -> None:
    with pytest.raises(InvalidSignal) as caught:
        signal_from_mapping({**MINIMAL, "time": "soon"})
    assert caught.value.field == "time"
    assert "'soon'" in str(caught.value)


def test_a_gap_in_the_targets_is_refused_rather_than_dropping_the_later_ones() -> None:
    data = {"symbol": "BTCUSDT", "side": "LONG", "timeframe": "1h", "entry": 100, "tp1": 101,
            "tp2": 0, "tp3": 103, "sl": 99}  # fmt: skip
    with pytest.raises(InvalidSignal, match="tp2: is missing while tp3 is given"):
        signal_from_mapping(data, created_at=NOW)


def test_a_targets_list_and_tp_keys_together_are_refused() -> None:
    data = {"symbol": "BTCUSDT", "side": "LONG", "timeframe": "1h", "entry": 100, "tp1": 101,
            "targets": [101, 102], "sl": 99}  # fmt: skip
    with pytest.raises(InvalidSignal, match="targets"):
        signal_from_mapping(data, created_at=NOW)
