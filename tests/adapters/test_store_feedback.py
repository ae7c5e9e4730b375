"""Receivers' feedback (migration 0005): one answer per signal and receiver, and the
numbers of the signals taken beside those skipped, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from factories import bot_signal
from sigtrack import Tracker
from sigtrack.adapters.storage import SqlSignalStore
from sigtrack.adapters.storage.tables import feedback
from sigtrack.core.bot_records import FeedbackAnswer, FeedbackTally
from sigtrack.core.errors import SignalNotFound
from sigtrack.core.signals import Result
from sigtrack.core.stats import ResultCounts

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
SINCE, UNTIL = NOW - timedelta(days=7), NOW
TOOK, SKIPPED = FeedbackAnswer.TOOK, FeedbackAnswer.SKIPPED


def store_of(tracker: Tracker) -> SqlSignalStore:
    return tracker._app.store


def signal(
    tracker: Tracker,
    days_ago: float,
    receivers: tuple[int, ...] = (),
    result: str | None = None,
    pnl: float | None = None,
) -> str:
    signal_id = tracker.track(
        bot_signal(), receivers=receivers, created_at=NOW - timedelta(days=days_ago), now=NOW
    )
    if result is not None:
        tracker.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=NOW)
    return signal_id


def feedback_rows(tracker: Tracker) -> list[tuple[int, int, str, datetime, datetime]]:
    c = feedback.c
    query = select(c.signal_pk, c.user_id, c.answer, c.at, c.updated_at).order_by(
        c.signal_pk, c.user_id
    )
    with store_of(tracker).engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


def test_a_second_tap_changes_the_answer_and_never_adds_a_row(tracker: Tracker) -> None:
    signal_id = signal(tracker, 1, receivers=(7, 8))
    store = store_of(tracker)

    assert store.save_feedback(signal_id, 7, TOOK, now=NOW) is None
    assert store.save_feedback(signal_id, 7, SKIPPED, now=NOW + timedelta(minutes=5)) is TOOK
    assert store.save_feedback(signal_id, 7, SKIPPED, now=NOW + timedelta(minutes=9)) is SKIPPED

    rows = feedback_rows(tracker)
    assert [(user, answer, at, updated) for _, user, answer, at, updated in rows] == [
        (7, "skipped", NOW, NOW + timedelta(minutes=9))
    ]
    assert store.save_feedback(signal_id, 8, TOOK, now=NOW) is None  # another receiver
    tally = store.feedback_counts(SINCE, UNTIL).tallies
    assert [(t.receivers, t.took, t.skipped) for t in tally] == [(2, 1, 1)]


def test_feedback_to_an_unknown_signal_is_refused_and_stores_nothing(tracker: Tracker) -> None:
    signal(tracker, 1)
    with pytest.raises(SignalNotFound, match="0_BTCUSDT_1"):
        store_of(tracker).save_feedback("0_BTCUSDT_1", 7, TOOK, now=NOW)
    assert feedback_rows(tracker) == []


def test_feedback_counts_tally_the_answered_signals_and_sum_taken_and_skipped_apart(
    tracker: Tracker,
) -> None:
    store = store_of(tracker)
    a = signal(tracker, 1, receivers=(1, 2, 3), result="win", pnl=2.0)
    b = signal(tracker, 2, receivers=(1, 2), result="loss", pnl=-1.5)
    c = signal(tracker, 3, receivers=(4,))  # still open
    signal(tracker, 4, receivers=(1,), result="win", pnl=5.0)  # nobody answered: in neither
    old = signal(tracker, 10, receivers=(1,), result="win", pnl=4.0)  # before the window
    f = signal(tracker, 5, result="breakeven", pnl=-0.2)  # no receivers recorded
    late = signal(tracker, 0, receivers=(1,), result="win", pnl=1.0)  # created at `until`
    for signal_id, user, answer in [
        (a, 1, TOOK), (a, 2, SKIPPED), (b, 1, SKIPPED), (b, 2, SKIPPED), (c, 4, TOOK),
        (old, 1, TOOK), (f, 9, TOOK), (f, 9, SKIPPED), (late, 1, TOOK),
    ]:  # fmt: skip
        store.save_feedback(signal_id, user, answer, now=NOW)

    counts = store.feedback_counts(SINCE, UNTIL)

    created = {k: NOW - timedelta(days=d) for k, d in ((a, 1), (b, 2), (c, 3), (f, 5))}
    assert counts.tallies == tuple(
        FeedbackTally(signal_id=k, symbol="BTCUSDT", created_at=created[k], receivers=n,
                      took=took, skipped=skipped)
        for k, n, took, skipped in ((a, 3, 1, 1), (b, 2, 0, 2), (c, 1, 1, 0), (f, 0, 0, 1))
    )  # fmt: skip
    assert counts.taken == ResultCounts(  # a (WIN +2.0) and c (open)
        open=1, by_result={Result.WIN: 1}, pnl_sum_pct=2.0, pnl_count=1, pnl_sq=4.0
    )
    skipped = counts.skipped  # b (LOSS -1.5) and f (BREAKEVEN -0.2)
    assert (skipped.open, dict(skipped.by_result)) == (0, {Result.LOSS: 1, Result.BREAKEVEN: 1})
    assert (skipped.pnl_count, skipped.r_count) == (2, 0)
    assert skipped.pnl_sum_pct == pytest.approx(-1.7)
    assert skipped.pnl_sq == pytest.approx(1.5**2 + 0.2**2)
    assert [t.signal_id for t in store.feedback_counts(SINCE, UNTIL, limit=2).tallies] == [a, b]
    assert store.feedback_counts(SINCE, UNTIL, limit=2).taken == counts.taken  # all of them


def test_a_window_without_answers_counts_nothing(tracker: Tracker) -> None:
    signal(tracker, 1, receivers=(1,), result="win", pnl=1.0)

    counts = store_of(tracker).feedback_counts(SINCE, UNTIL)

    assert counts.tallies == ()
    assert counts.taken == counts.skipped == ResultCounts(by_result={})
