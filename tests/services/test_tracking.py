"""TrackingService on an in-memory store: what it validates, what it passes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes import FakeStore

from factories import bot_signal
from sigtrack.core.errors import InvalidBatch, InvalidInput, InvalidSignal
from sigtrack.core.signals import Result, Signal, SignalDefaults, Status
from sigtrack.services.tracking import TrackingService, make_activity

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def service(store: FakeStore) -> TrackingService:
    defaults = SignalDefaults(strategy="v1", source="bot", tag_rules=(("demand", "demand_zone"),))
    return TrackingService(store, defaults=defaults, zone=JAKARTA)


def test_a_dict_without_a_time_is_created_now(service: TrackingService) -> None:
    signal = service.build_signal(bot_signal(), now=NOW)
    assert signal.created_at == NOW


def test_the_settings_give_strategy_source_and_tags(service: TrackingService) -> None:
    signal = service.build_signal(bot_signal(), now=NOW)
    assert (signal.strategy, signal.source, signal.tags) == ("v1", "bot", ("demand_zone",))


def test_arguments_win_over_the_dict(service: TrackingService) -> None:
    at = NOW - timedelta(hours=1)
    signal = service.build_signal(
        bot_signal(receivers=[1], strategy="dict"), now=NOW, receivers=[7, 8],
        strategy="arg", source="manual", created_at=at,
    )  # fmt: skip
    assert (signal.receivers, signal.strategy, signal.source, signal.created_at) == (
        (7, 8), "arg", "manual", at,
    )  # fmt: skip


def test_a_signal_object_is_taken_as_built(service: TrackingService) -> None:
    built = Signal(
        symbol="ETHUSDT", side="SHORT", timeframe="1h", entry=3000.0, targets=(2950.0,),  # type: ignore[arg-type]
        stop=3050.0, created_at=NOW,
    )  # fmt: skip
    assert service.build_signal(built, now=NOW, receivers=[3]).receivers == (3,)


def test_a_signal_from_the_future_is_refused(service: TrackingService) -> None:
    with pytest.raises(InvalidSignal, match="future"):
        service.build_signal(bot_signal(), now=NOW, created_at=NOW + timedelta(hours=1))
    assert service.build_signal(bot_signal(), now=NOW, created_at=NOW + timedelta(minutes=1))


def test_strict_mode_refuses_unknown_keys(service: TrackingService) -> None:
    with pytest.raises(InvalidSignal, match="tp_2"):
        service.build_signal(bot_signal(tp_2=5), now=NOW, strict=True)
    assert service.build_signal(bot_signal(tp_2=5), now=NOW)


@pytest.mark.parametrize("result", ["expired", "cancelled", "won"])
def test_only_win_loss_and_breakeven_close_by_hand(
    service: TrackingService, store: FakeStore, result: str
) -> None:
    signal_id = service.track(service.build_signal(bot_signal(), now=NOW), now=NOW)
    with pytest.raises(InvalidSignal, match="result"):
        service.close(signal_id, result=result, now=NOW, actor="admin")
    assert store.get(signal_id).status is Status.ACTIVE


def test_close_passes_a_manual_closing_at_now(service: TrackingService, store: FakeStore) -> None:
    signal_id = service.track(service.build_signal(bot_signal(), now=NOW), now=NOW)
    record = service.close(signal_id, result="BREAKEVEN", now=NOW, actor=" admin ", pnl_pct=0)
    assert record.result is Result.BREAKEVEN and record.closed_at == NOW
    assert store.events(signal_id)[-1].actor == "admin"


def test_a_long_note_is_refused(service: TrackingService) -> None:
    signal_id = service.track(service.build_signal(bot_signal(), now=NOW), now=NOW)
    with pytest.raises(InvalidInput, match="note"):
        service.close(signal_id, result="win", now=NOW, actor="a", note="x" * 1001)


def test_winrate_asks_the_store_for_the_local_calendar_window(
    service: TrackingService, store: FakeStore
) -> None:
    summary = service.winrate(1, now=NOW)
    assert store.counts_asked == [(datetime(2026, 11, 23, tzinfo=JAKARTA), NOW)]
    assert summary.winrate is None


def test_winrate_refuses_a_naive_now(service: TrackingService) -> None:
    with pytest.raises(InvalidInput, match="now"):
        service.winrate(7, now=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((True, "u", "/x"), "user_id"),
        (("abc", "u", "/x"), "user_id"),
        ((1, "u", ""), "command"),
        ((1, "u" * 65, "/x"), "username"),
        ((1, "u", "/x", 5), "symbol"),
    ],
)
def test_bad_activity_is_refused_naming_the_field(args: tuple[object, ...], field: str) -> None:
    user_id, username, command, *rest = args
    with pytest.raises(InvalidInput) as caught:
        make_activity(user_id, username, command, NOW, *rest)
    assert caught.value.field == field


def test_a_dict_whose_time_is_null_is_created_now(service: TrackingService) -> None:
    assert service.build_signal(bot_signal(created_at=None), now=NOW).created_at == NOW


def test_a_batch_reports_every_bad_input_at_once_and_stores_none(
    service: TrackingService, store: FakeStore
) -> None:
    inputs = [bot_signal(), bot_signal(sl=60000.0), bot_signal(), bot_signal(symbol="??")]
    with pytest.raises(InvalidBatch) as caught:
        service.record_many(inputs, now=NOW)
    assert [at for at, _ in caught.value.problems] == [1, 3]
    assert store.records == {}


def test_a_batch_naming_one_id_twice_with_other_content_is_refused(
    service: TrackingService, store: FakeStore
) -> None:
    same = {"signal_id": "7_BTCUSDT_1", **bot_signal()}
    other = {"signal_id": "7_BTCUSDT_1", **bot_signal(tp2=53000.0)}
    with pytest.raises(InvalidBatch) as caught:
        service.validate_many([same, same, other], now=NOW)
    [(at, problem)] = caught.value.problems
    assert at == 2 and problem.field == "signal_id" and "repeats #0" in str(problem)
    assert store.records == {}


def test_a_good_batch_is_stored_whole_in_its_order(
    service: TrackingService, store: FakeStore
) -> None:
    ids = service.record_many([bot_signal(), bot_signal(symbol="ETHUSDT")], now=NOW)
    assert [store.records[i].signal.symbol for i in ids] == ["BTCUSDT", "ETHUSDT"]


def test_recording_one_input_builds_and_stores_it(
    service: TrackingService, store: FakeStore
) -> None:
    signal_id = service.record(bot_signal(), now=NOW, receivers=[42], strategy="v2")
    stored = store.records[signal_id].signal
    assert (stored.receivers, stored.strategy) == ((42,), "v2")
