"""The announcements outbox (migration 0005): a pass queues its TP hits and closes, senders
claim, mark and retry them, each event once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, select

from factories import SIGNAL_TIME, make_signal
from sigtrack import Tracker
from sigtrack.adapters.storage import SqlSignalStore, create_store_engine
from sigtrack.adapters.storage.engine import HEAD_REVISION, _alembic_config, current_revision
from sigtrack.adapters.storage.engine import migrate as run_migrations
from sigtrack.adapters.storage.tables import outbox, signal_events, signals
from sigtrack.core.bot_records import Announcement, FeedbackAnswer, OutboxState, PassRecord
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import InvalidInput
from sigtrack.core.outcomes import datetime_to_ms
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.signals import EventKind, Side
from sigtrack.services.settling import SettlingService

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
T0_MS = datetime_to_ms(SIGNAL_TIME)


def minute(n: float) -> datetime:
    return SIGNAL_TIME + timedelta(minutes=n)


def series(*rows: tuple[int, float, float, float, float]) -> Candles:
    return Candles.from_rows([[T0_MS + n * MINUTE_MS, o, h, lo, c] for n, o, h, lo, c in rows])


# BTCUSDT (entry 50000, TP1 51000, TP2 52000, SL 49000): TP1 at minute 1, then the moved
# stop at minute 2: one tp_hit and one closed event. ETHUSDT: nothing happens.
TP1_THEN_BE = series(
    (0, 50000, 50200, 49800, 50100),
    (1, 50100, 51200, 50050, 51000),
    (2, 51000, 51100, 49950, 50000),
)
QUIET = series(*[(n, 3000, 3001, 2999, 3000) for n in range(3)])


class MemorySource:
    name = "memory"

    def __init__(self, **by_symbol: Candles) -> None:
        self._by_symbol = by_symbol

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        return self._by_symbol[symbol].between(start_ms, end_ms)


def store_of(tracker: Tracker) -> SqlSignalStore:
    return tracker._app.store


def run_pass(tracker: Tracker, *, announce: bool, **candles: Candles) -> None:
    source = MemorySource(**(candles or {"BTCUSDT": TP1_THEN_BE, "ETHUSDT": QUIET}))
    service = SettlingService(store_of(tracker), source, ResolutionPolicy(), announce=announce)
    service.run_pass(now=minute(3))


def event_ids(tracker: Tracker, *kinds: EventKind) -> list[int]:
    query = select(signal_events.c.id).where(signal_events.c.kind.in_([k.value for k in kinds]))
    with store_of(tracker).engine.connect() as conn:
        return sorted(conn.execute(query.order_by(signal_events.c.id)).scalars())


def outbox_rows(tracker: Tracker) -> list[dict[str, object]]:
    with store_of(tracker).engine.connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.id)).mappings()
        return [dict(row) for row in rows]


def btc_signal(tracker: Tracker, entry: float = 50000.0) -> str:
    return tracker.track(make_signal(entry=entry), now=NOW)


def eth_signal(tracker: Tracker) -> str:
    eth = make_signal(symbol="ETHUSDT", entry=3000.0, targets=(3100.0, 3200.0), stop=2900.0)
    return tracker.track(eth, now=NOW)


def queued(tracker: Tracker, signals_with_news: int = 1) -> None:
    """Signals whose announcing pass queues a tp_hit and a close each (plus a quiet one)."""
    for k in range(signals_with_news):
        btc_signal(tracker, entry=50000.0 + k)
    eth_signal(tracker)
    run_pass(tracker, announce=True)


# --- queueing --------------------------------------------------------------------------------


def test_an_announcing_pass_queues_exactly_the_tp_hits_and_closes_it_wrote(
    tracker: Tracker,
) -> None:
    by_hand = btc_signal(tracker, entry=50001.0)
    tracker.close(by_hand, result="loss", actor="admin", now=NOW)  # a close, not the pass's
    settled = btc_signal(tracker)
    eth_signal(tracker)  # open, quiet: no news
    before = event_ids(tracker, EventKind.TP_HIT, EventKind.CLOSED)

    run_pass(tracker, announce=True)

    written = [e for e in event_ids(tracker, EventKind.TP_HIT, EventKind.CLOSED) if e not in before]
    assert len(written) == 2  # the settled signal's TP1 and its close
    rows = outbox_rows(tracker)
    assert [row["event_id"] for row in rows] == written
    assert {(row["state"], row["attempts"], row["queued_at"]) for row in rows} == {
        ("pending", 0, minute(3))
    }
    assert all(row["claimed_at"] is row["finished_at"] is row["last_error"] is None for row in rows)
    kinds = [e.kind for e in tracker.events(settled)]
    assert kinds == [EventKind.CREATED, EventKind.TP_HIT, EventKind.CLOSED]
    assert store_of(tracker).outbox_counts()[OutboxState.PENDING] == 2


def test_a_pass_that_does_not_announce_queues_nothing(tracker: Tracker) -> None:
    signal_id = btc_signal(tracker)

    run_pass(tracker, announce=False)

    assert len(tracker.events(signal_id)) == 3  # created, tp_hit, closed: stored all the same
    assert outbox_rows(tracker) == []
    assert store_of(tracker).outbox_counts().by_state == {}


def test_a_later_announcing_pass_queues_only_its_own_events(tracker: Tracker) -> None:
    btc_signal(tracker)
    run_pass(tracker, announce=False)  # the first signal's news, not announced
    later = btc_signal(tracker, entry=50002.0)

    run_pass(tracker, announce=True)

    with store_of(tracker).engine.connect() as conn:
        query = (
            select(signals.c.signal_id)
            .join(signal_events, signal_events.c.signal_pk == signals.c.id)
            .join(outbox, outbox.c.event_id == signal_events.c.id)
        )
        assert sorted(conn.execute(query).scalars()) == [later, later]


# --- claiming and finishing ------------------------------------------------------------------


def test_a_claim_returns_the_event_with_its_signal_and_a_sent_row_is_not_claimed_again(
    tracker: Tracker,
) -> None:
    signal_id = btc_signal(tracker)
    run_pass(tracker, announce=True)
    store = store_of(tracker)

    claimed = store.claim_announcements(now=minute(4))

    assert [a.kind for a in claimed] == [EventKind.TP_HIT, EventKind.CLOSED]
    hit, closed = claimed
    assert hit == Announcement(
        outbox_id=hit.outbox_id, event_id=hit.event_id, signal_id=signal_id,
        kind=EventKind.TP_HIT, at=minute(1), symbol="BTCUSDT", side=Side.LONG, timeframe="15m",
        entry=50000.0, created_at=SIGNAL_TIME, data={"target": 1, "price": 51000.0},
        attempts=1, reclaimed=False,
    )  # fmt: skip
    assert hit.at.tzinfo is UTC and hit.created_at.tzinfo is UTC
    assert (closed.at, closed.data["result"], closed.data["exit_reason"]) == (
        minute(2), "WIN", "TP1_BE",
    )  # fmt: skip
    assert closed.data["pnl_pct"] == pytest.approx(1.0)
    assert store.outbox_counts()[OutboxState.SENDING] == 2
    assert {(r["state"], r["attempts"], r["claimed_at"]) for r in outbox_rows(tracker)} == {
        ("sending", 1, minute(4))
    }

    for announcement in claimed:
        assert store.finish_announcement(announcement.outbox_id, now=minute(5), sent=True) == (
            OutboxState.SENT
        )

    assert store.claim_announcements(now=minute(6)) == []
    assert store.claim_announcements(now=minute(60)) == []  # past any lease: still not
    assert store.outbox_counts().by_state == {OutboxState.SENT: 2}
    assert {r["finished_at"] for r in outbox_rows(tracker)} == {minute(5)}


def test_a_failed_send_is_claimed_again_and_fails_for_good_at_the_last_attempt(
    tracker: Tracker,
) -> None:
    queued(tracker)
    store = store_of(tracker)
    first = store.claim_announcements(now=minute(4), limit=1)
    assert [(a.attempts, a.reclaimed) for a in first] == [(1, False)]
    outbox_id = first[0].outbox_id

    state = store.finish_announcement(
        outbox_id, now=minute(5), sent=False, error="x" * 600, max_attempts=3
    )

    assert state is OutboxState.PENDING
    row = next(r for r in outbox_rows(tracker) if r["id"] == outbox_id)
    assert (row["state"], row["finished_at"], row["last_error"]) == ("pending", None, "x" * 500)
    again = store.claim_announcements(now=minute(6), limit=1)
    assert [(a.outbox_id, a.attempts, a.reclaimed) for a in again] == [(outbox_id, 2, False)]
    assert store.finish_announcement(
        outbox_id, now=minute(7), sent=False, error="timeout", max_attempts=3
    ) is OutboxState.PENDING  # fmt: skip
    third = store.claim_announcements(now=minute(8), limit=1)
    assert [(a.outbox_id, a.attempts) for a in third] == [(outbox_id, 3)]

    assert store.finish_announcement(
        outbox_id, now=minute(9), sent=False, error="timeout", max_attempts=3
    ) is OutboxState.FAILED  # fmt: skip

    row = next(r for r in outbox_rows(tracker) if r["id"] == outbox_id)
    assert (row["state"], row["attempts"], row["finished_at"], row["last_error"]) == (
        "failed", 3, minute(9), "timeout",
    )  # fmt: skip
    left = store.claim_announcements(now=minute(10))
    assert outbox_id not in [a.outbox_id for a in left] and len(left) == 1  # the other event
    assert store.outbox_counts()[OutboxState.FAILED] == 1
    # a late failure report (a stale claim's) leaves it failed
    assert store.finish_announcement(outbox_id, now=minute(11), sent=False) is OutboxState.FAILED


def test_finishing_an_unknown_row_names_it(tracker: Tracker) -> None:
    with pytest.raises(InvalidInput, match=r"outbox_id.*12345"):
        store_of(tracker).finish_announcement(12345, now=minute(4), sent=True)


def test_a_row_left_sending_is_reclaimed_after_its_lease_and_not_within_it(
    tracker: Tracker,
) -> None:
    queued(tracker)
    store = store_of(tracker)
    first, second = (r["id"] for r in outbox_rows(tracker))
    claimed = store.claim_announcements(now=minute(4), limit=1, lease_s=300.0)
    assert [a.outbox_id for a in claimed] == [first]  # ... and the sender dies before marking it

    within = store.claim_announcements(now=minute(8), lease_s=300.0)  # 4 min later

    assert [(a.outbox_id, a.reclaimed) for a in within] == [(second, False)]
    store.finish_announcement(second, now=minute(8), sent=True)
    assert store.claim_announcements(now=minute(9), lease_s=300.0) == []  # 5 min: not past

    reclaimed = store.claim_announcements(now=minute(9.1), lease_s=300.0)

    assert [(a.outbox_id, a.attempts, a.reclaimed) for a in reclaimed] == [(first, 2, True)]
    row = next(r for r in outbox_rows(tracker) if r["id"] == first)
    assert (row["state"], row["claimed_at"]) == ("sending", minute(9.1))
    assert store.claim_announcements(now=minute(9.2), lease_s=300.0) == []


def test_pending_news_older_than_the_window_expires_and_old_finished_rows_go(
    tracker: Tracker,
) -> None:
    queued(tracker)  # events at minutes 1 and 2
    store = store_of(tracker)
    one_day = minute(1) + timedelta(days=1)

    fresh = store.claim_announcements(now=one_day, limit=1)  # minute 1's is 24 h old: not older

    assert [a.at for a in fresh] == [minute(1)]
    store.finish_announcement(fresh[0].outbox_id, now=one_day, sent=True)
    later = minute(2) + timedelta(days=1, seconds=1)
    assert store.claim_announcements(now=later) == []  # minute 2's close is past the window
    assert store.outbox_counts().by_state == {OutboxState.SENT: 1, OutboxState.EXPIRED: 1}
    expired = [r for r in outbox_rows(tracker) if r["state"] == "expired"]
    assert [(r["finished_at"], r["attempts"]) for r in expired] == [(later, 0)]
    assert store.claim_announcements(now=minute(3), max_age_s=10**9) == []  # expired stays so

    store.claim_announcements(now=one_day + timedelta(days=30, seconds=1))  # the sent one: 30 d

    assert store.outbox_counts().by_state == {OutboxState.EXPIRED: 1}
    store.claim_announcements(now=later + timedelta(days=30, seconds=1))
    assert outbox_rows(tracker) == []


def test_a_claim_takes_the_oldest_rows_first_up_to_its_limit(tracker: Tracker) -> None:
    queued(tracker, signals_with_news=3)
    store = store_of(tracker)
    ids = [r["id"] for r in outbox_rows(tracker)]
    assert len(ids) == 6

    assert [a.outbox_id for a in store.claim_announcements(now=minute(4), limit=4)] == ids[:4]
    assert [a.outbox_id for a in store.claim_announcements(now=minute(4), limit=4)] == ids[4:]
    with pytest.raises(InvalidInput, match="limit"):
        store.claim_announcements(now=minute(4), limit=0)


# --- two senders at once ---------------------------------------------------------------------


@pytest.fixture
def stores(db_url: str, tracker: Tracker) -> Iterator[list[SqlSignalStore]]:
    """Four more stores on the tracker's database, each with its own engine (a process)."""
    opened = [
        SqlSignalStore(create_store_engine(db_url), checkpoint_interval_s=None) for _ in range(4)
    ]
    yield opened
    for store in opened:
        store.dispose()


def test_senders_claiming_at_once_never_get_the_same_row(
    tracker: Tracker, stores: list[SqlSignalStore]
) -> None:
    queued(tracker, signals_with_news=20)
    total = len(outbox_rows(tracker))
    assert total == 40
    start = threading.Barrier(len(stores))
    claimed: list[list[int]] = [[] for _ in stores]
    errors: list[BaseException] = []

    def send(k: int) -> None:
        try:
            start.wait(timeout=30)
            while batch := stores[k].claim_announcements(now=minute(4), limit=3):
                claimed[k] += [a.outbox_id for a in batch]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(k,)) for k in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    every = [outbox_id for ids in claimed for outbox_id in ids]
    assert len(every) == len(set(every)) == total
    assert store_of(tracker).outbox_counts().by_state == {OutboxState.SENDING: total}


def test_two_announcing_passes_racing_queue_each_event_once(
    tracker: Tracker, stores: list[SqlSignalStore]
) -> None:
    for k in range(10):
        btc_signal(tracker, entry=50000.0 + k)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def settle(store: SqlSignalStore) -> None:
        try:
            source = MemorySource(BTCUSDT=TP1_THEN_BE)
            service = SettlingService(store, source, ResolutionPolicy(), announce=True)
            start.wait(timeout=30)
            service.run_pass(now=minute(3))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=settle, args=(store,)) for store in stores[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    news = event_ids(tracker, EventKind.TP_HIT, EventKind.CLOSED)
    assert len(news) == 20  # each signal settled once, by one of them
    assert sorted(r["event_id"] for r in outbox_rows(tracker)) == news


# --- migration 0005 --------------------------------------------------------------------------

NEW_TABLES = {"outbox", "feedback", "settling_passes"}


def test_migration_0005_adds_the_tables_to_a_store_with_data_and_goes_back_down(
    db_url: str, tracker: Tracker
) -> None:
    signal_id = btc_signal(tracker, entry=50001.0)
    queued(tracker)
    store = store_of(tracker)
    store.save_feedback(signal_id, 7, FeedbackAnswer.TOOK, now=NOW)
    store.record_pass(PassRecord(at=NOW, source="memory", checked=2, symbols=2, closed=2,
                                 tp_hits=2, wins=2, losses=0, expired=0, failures=0,
                                 elapsed_s=0.1))  # fmt: skip
    events_before = event_ids(tracker, *EventKind)
    engine = create_store_engine(db_url)
    config = _alembic_config()

    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")

    assert current_revision(engine) == "0004"
    assert NEW_TABLES.isdisjoint(inspect(engine).get_table_names())
    assert event_ids(tracker, *EventKind) == events_before  # signals and events untouched

    assert run_migrations(engine) is True  # 0004 -> 0005, with the signals there

    assert current_revision(engine) == HEAD_REVISION  # 0005 and every later one
    assert set(inspect(engine).get_table_names()) >= NEW_TABLES
    engine.dispose()
    assert outbox_rows(tracker) == [] and store.last_pass() is None
    assert store.feedback_counts(SIGNAL_TIME, NOW).tallies == ()
    assert tracker.get(signal_id).result is not None and len(tracker.list()) == 3
    fresh = btc_signal(tracker, entry=50005.0)
    run_pass(tracker, announce=True, BTCUSDT=TP1_THEN_BE)
    assert [a.signal_id for a in store.claim_announcements(now=minute(4))] == [fresh, fresh]
