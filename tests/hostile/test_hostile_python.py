"""Hostile input to the Python API (`Tracker`, `sigtrack.compat`): every bad signal, close,
cancel and command refused with an error naming the field, and the store unchanged."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hostile_support import HOSTILE_TEXTS, NOW, Store, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import bot_signal
from sigtrack import compat
from sigtrack.core.errors import MAX_REASON_SHOWN, InvalidBatch, InvalidInput, SigtrackError
from sigtrack.tracker import Tracker

HOSTILE = settings(max_examples=40, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
HUGE = "x" * 10_000_000  # 10 MB

not_finite = st.sampled_from([math.nan, math.inf, -math.inf])
not_positive = st.one_of(st.floats(max_value=0.0), st.integers(max_value=0))
wrong_types = st.one_of(
    st.booleans(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
    st.integers(), max_size=2), st.text(alphabet="abc<>';-", min_size=1, max_size=20),
)  # fmt: skip
bad_price = st.one_of(not_finite, not_positive, wrong_types)


def refused(tracker: Tracker, field: str, call: Any) -> InvalidInput:
    """`call()` raises an InvalidInput naming `field`, with a message of readable length."""
    with pytest.raises(InvalidInput) as caught:
        call()
    error = caught.value
    assert error.field == field or error.field.startswith(f"{field}["), (field, str(error))
    assert str(error).startswith(f"{error.field}: ")
    assert len(str(error)) <= MAX_REASON_SHOWN + 120, len(str(error))
    return error


@pytest.mark.parametrize("field", ["entry_price", "tp1", "sl"])
@HOSTILE
@given(value=bad_price)
def test_a_price_that_is_not_a_positive_finite_number_is_refused_by_name(
    store: Store, field: str, value: object
) -> None:
    tracker = Tracker(store.app)
    named = {"entry_price": "entry"}.get(field, field)
    sig = bot_signal(price=None, **{field: value})
    error = refused(tracker, named, lambda: tracker.track(sig, now=NOW))
    if isinstance(value, float) and not math.isnan(value) and not isinstance(value, bool):
        assert repr(value) in str(error) or str(value) in str(error)
    store.assert_unchanged()


@HOSTILE
@given(
    case=st.sampled_from([
        ("tp1", {"tp1": 49500.0}), ("sl", {"sl": 50500.0}), ("tp2", {"tp2": 50500.0}),
        ("sl", {"side": "SHORT"}), ("sl", {"side": "SHORT", "tp1": 49000.0, "tp2": 48000.0}),
        ("tp1", {"side": "SHORT", "sl": 51000.0, "tp1": 50500.0, "tp2": 49000.0}),
    ]),
    scale=st.floats(min_value=1e-6, max_value=1e12),
)  # fmt: skip
def test_levels_on_the_wrong_side_are_refused_by_name_at_any_scale(
    store: Store, case: tuple[str, dict[str, object]], scale: float
) -> None:
    field, changes = case
    levels = {k: v * scale for k, v in bot_signal(**changes).items()
              if k in {"entry_price", "tp1", "tp2", "sl"} and isinstance(v, float)}  # fmt: skip
    sig = bot_signal(**{**changes, **levels}, price=None)
    tracker = Tracker(store.app)
    error = refused(tracker, field, lambda: tracker.track(sig, now=NOW))
    assert "LONG" in str(error) or "SHORT" in str(error)
    store.assert_unchanged()


@HOSTILE
@given(
    field=st.sampled_from(["side", "timeframe", "symbol"]),
    value=st.one_of(st.text(max_size=30), wrong_types, st.sampled_from(HOSTILE_TEXTS)),
)
def test_unknown_sides_timeframes_and_symbols_are_refused_with_the_value(
    store: Store, field: str, value: object
) -> None:
    good = {"side": {"LONG", "SHORT", "BUY", "SELL"},
            "timeframe": {"1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h",
                          "1d", "3d", "1w"}}.get(field)  # fmt: skip
    if isinstance(value, str) and (
        (good and value.strip().upper() in {g.upper() for g in good})
        or (field == "symbol" and value.replace("/", "").replace("-", "").isalnum())
    ):
        return  # a valid value (or one a rule may normalize): not a hostile case
    tracker = Tracker(store.app)
    error = refused(tracker, field, lambda: tracker.track(bot_signal(**{field: value}), now=NOW))
    assert repr(value)[:40] in str(error) or field == "timeframe"
    store.assert_unchanged()


@HOSTILE
@given(
    moment=st.one_of(
        st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9000, 1, 1)),  # naive
        st.datetimes(
            min_value=datetime(2026, 1, 9), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
        ),  # far future
    ),
    as_text=st.booleans(),
)
def test_naive_and_future_times_are_refused_by_name(
    store: Store, moment: datetime, as_text: bool
) -> None:
    tracker = Tracker(store.app)
    given_at: object = moment.isoformat() if as_text else moment
    error = refused(
        tracker, "created_at",
        lambda: tracker.track({**bot_signal(), "created_at": given_at}, now=NOW),
    )  # fmt: skip
    assert ("time zone" in str(error)) is (moment.tzinfo is None), str(error)
    store.assert_unchanged()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"symbol": HUGE}, "symbol"),
        ({"reasons": [HUGE]}, "reasons"),
        ({"reasons": ["ok"] * 10_000}, "reasons"),
        ({"strategy": HUGE}, "strategy"),
        ({"tags": [HUGE]}, "tags"),
        ({"timeframe": HUGE}, "timeframe"),
        ({"side": HUGE}, "side"),
        ({"confidence": HUGE}, "confidence"),
        ({"signal_id": HUGE}, "signal_id"),
        ({"tp1": HUGE}, "tp1"),
    ],
)
def test_a_10_mb_string_in_any_field_gets_a_short_error_naming_it(
    store: Store, changes: dict[str, object], field: str
) -> None:
    tracker = Tracker(store.app)
    refused(tracker, field, lambda: tracker.track(bot_signal(**changes), now=NOW))
    store.assert_unchanged()


def test_a_10_mb_actor_note_or_username_gets_a_short_error(store: Store) -> None:
    tracker = Tracker(store.app)
    signal_id = store.ids[0]
    refused(tracker, "actor", lambda: tracker.close(signal_id, result="win", actor=HUGE, now=NOW))
    refused(tracker, "note", lambda: tracker.cancel(signal_id, actor="a", note=HUGE, now=NOW))
    refused(tracker, "username", lambda: tracker.track_command(1, HUGE, "/winrate", now=NOW))
    refused(tracker, "command", lambda: tracker.track_command(1, "u", HUGE, now=NOW))
    store.assert_unchanged()


@HOSTILE
@given(
    result=st.one_of(st.text(max_size=12), wrong_types, st.sampled_from(HOSTILE_TEXTS)),
    pnl=st.one_of(st.none(), not_finite, st.floats(allow_nan=False), wrong_types),
)
def test_close_with_an_unknown_result_or_a_bad_pnl_is_refused(
    store: Store, result: object, pnl: object
) -> None:
    tracker = Tracker(store.app)
    is_result = isinstance(result, str) and result.strip().lower() in {"win", "loss", "breakeven"}
    is_pnl = pnl is None or (type(pnl) is float and math.isfinite(pnl) and abs(pnl) <= 1e6)
    if is_result and is_pnl:
        return
    with pytest.raises(InvalidInput) as caught:
        tracker.close(store.ids[0], result=result, pnl_pct=pnl, actor="t", now=NOW)  # type: ignore[arg-type]
    assert caught.value.field in {"result", "pnl_pct"}
    store.assert_unchanged()


@HOSTILE
@given(text=st.sampled_from(HOSTILE_TEXTS), where=st.sampled_from(["note", "actor"]))
def test_sql_and_html_in_a_note_or_actor_are_stored_verbatim_or_refused(
    store: Store, text: str, where: str
) -> None:
    tracker = Tracker(store.app)
    signal_id = tracker.track(bot_signal(symbol="SOLUSDT"), now=NOW)
    kwargs = {"actor": "t", "note": None, where: text}
    try:
        tracker.cancel(signal_id, now=NOW, **kwargs)  # type: ignore[arg-type]
    except InvalidInput as exc:
        assert exc.field == where
    else:
        event = tracker.events(signal_id)[-1]
        assert getattr(event, where) == text
    assert set(snapshot(store)) == set(store.before)  # every table still there
    assert len(tracker.list()) >= len(store.ids) + 1


@HOSTILE
@given(text=st.sampled_from(HOSTILE_TEXTS))
def test_sql_and_html_in_strategy_and_reasons_are_refused_or_kept_verbatim(
    store: Store, text: str
) -> None:
    tracker = Tracker(store.app)
    before = len(tracker.list())
    try:
        signal_id = tracker.track(bot_signal(symbol="XRPUSDT", strategy=text), now=NOW)
    except InvalidInput as exc:
        assert exc.field == "strategy"
        assert len(tracker.list()) == before
    else:
        assert tracker.get(signal_id).signal.strategy == text
    reasons = tracker.track(bot_signal(symbol="ADAUSDT", reasons=[text]), now=NOW)
    assert text in tracker.get(reasons).signal.reasons
    assert set(snapshot(store)) == set(store.before)
    assert len(tracker.list()) >= len(store.ids) + 2


def test_a_batch_with_one_hostile_item_stores_none_and_names_its_position(store: Store) -> None:
    tracker = Tracker(store.app)
    batch = [bot_signal(symbol="SOLUSDT"), bot_signal(entry_price=math.nan), bot_signal(sl=1e9)]
    with pytest.raises(InvalidBatch) as caught:
        tracker.track_many(batch, now=NOW)
    assert [(i, e.field) for i, e in caught.value.problems] == [(1, "entry"), (2, "sl")]
    store.assert_unchanged()


def test_unknown_and_wrong_typed_ids_are_refused_without_a_write(store: Store) -> None:
    tracker = Tracker(store.app)
    for bad in ["../../etc/passwd", "x" * 10_000, "'; DROP TABLE signals; --", "", "<b>"]:
        with pytest.raises(SigtrackError) as caught:
            tracker.close(bad, result="win", actor="t", now=NOW)
        assert "signal_id" in str(caught.value)
        assert len(str(caught.value)) <= MAX_REASON_SHOWN + 120
    store.assert_unchanged()


# --- sigtrack.compat: never raises, logs, returns None / False ------------------------


@pytest.fixture
def compat_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("SIGTRACK_DATABASE_URL", store.url)
    compat.reset()
    yield store  # type: ignore[misc]
    compat.reset()


@pytest.mark.parametrize(
    "args",
    [
        (1, "BTCUSDT", "15m", math.nan, 51000.0, 52000.0, 49000.0),
        (1, "BTCUSDT", "15m", 50000.0, -1.0, 52000.0, 49000.0),
        (1, "BTCUSDT", "15m", 50000.0, 51000.0, 52000.0, 51000.0),
        (1, "BTCUSDT", "7m", 50000.0, 51000.0, 52000.0, 49000.0),
        (1, "BTCUSDT", "15m", 50000.0, 51000.0, 52000.0, 49000.0, "UP"),
        (1, HUGE, "15m", 50000.0, 51000.0, 52000.0, 49000.0),
        ("'; DROP TABLE signals; --", "BTCUSDT", "15m", 50000.0, 51000.0, 52000.0, 49000.0),
        (1, "BTCUSDT", "15m", "fifty", 51000.0, 52000.0, 49000.0),
    ],
)
def test_compat_track_refuses_hostile_signals_by_logging_and_returning_none(
    compat_store: Store, caplog: pytest.LogCaptureFixture, args: tuple[Any, ...]
) -> None:
    with caplog.at_level(logging.ERROR, logger="sigtrack.compat"):
        assert compat.track_signal_given(*args) is None
    assert caplog.records and "track_signal_given failed" in caplog.records[0].getMessage()
    assert len(caplog.text) < 20_000  # the 10 MB value is not logged whole
    compat_store.assert_unchanged()


def test_compat_outcome_and_command_survive_hostile_values(
    compat_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="sigtrack.compat"):
        assert compat.update_signal_outcome("../../nope", True, 1.0) is None
        assert compat.update_signal_outcome(compat_store.ids[0], True, math.nan) is None
        assert compat.track_user_command(1, HUGE, "/winrate") is None
        assert compat.get_current_winrate(-5) is None or isinstance(
            compat.get_current_winrate(-5), dict
        )
    assert len(caplog.records) >= 3
    assert len(caplog.text) < 50_000
    compat_store.assert_unchanged()


def test_a_valid_signal_after_hostile_ones_is_still_stored(store: Store) -> None:
    """The refusals above would pass on a store that refuses everything: this one must not."""
    tracker = Tracker(store.app)
    at = NOW - timedelta(minutes=5)
    signal_id = tracker.track(bot_signal(symbol="SOLUSDT"), created_at=at, now=NOW)
    assert tracker.get(signal_id).signal.symbol == "SOLUSDT"
    assert store.rows("signals") == store.before["signals"][0] + 1
