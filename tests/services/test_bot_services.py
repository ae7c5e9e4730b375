"""The services the bot calls (status, feedback, announcements) over a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import bot_signal, settings_for
from sigtrack.bootstrap import App, build_app
from sigtrack.core.bot_records import FeedbackAnswer
from sigtrack.core.errors import InvalidInput, SignalNotFound

# 23:30 UTC on 7 January is 06:30 on 8 January in Jakarta: "today" there began at 17:00 UTC
NOW = datetime(2026, 1, 7, 23, 30, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    built = build_app(settings_for(f"sqlite:///{tmp_path / 'x.db'}"))
    yield built
    built.store.dispose()


def track(app: App, at: datetime, **changes: object) -> str:
    signal = app.tracking.build_signal(bot_signal(**changes), now=NOW, created_at=at,
                                       receivers=[1, 2, 3, 4])  # fmt: skip
    return app.tracking.track(signal, now=NOW)


def test_today_is_the_display_zones_day_even_when_the_utc_date_differs(app: App) -> None:
    track(app, datetime(2026, 1, 7, 16, 59, tzinfo=UTC))  # 23:59 on the 7th in Jakarta
    track(app, datetime(2026, 1, 7, 17, 0, tzinfo=UTC))  # 00:00 on the 8th in Jakarta
    app.tracking.track_command(user_id=5, username=None, command="/winrate", now=NOW)

    status = app.status.status(now=NOW)

    assert status.today_since == datetime(2026, 1, 7, 17, 0, tzinfo=UTC)
    assert (status.counts.since, status.counts.open, status.counts.commands) == (1, 2, 1)
    assert status.last_pass is None


def test_open_signals_are_listed_oldest_first_with_the_total(app: App) -> None:
    for minutes in range(5):
        track(app, NOW - timedelta(minutes=minutes + 1), symbol=f"C{minutes}USDT")

    found = app.status.open_signals(now=NOW, limit=3)

    assert found.total == 5
    assert [v.record.signal.symbol for v in found.views] == ["C4USDT", "C3USDT", "C2USDT"]
    assert found.views[0].age == timedelta(minutes=5)


def test_a_pass_leaves_its_record_for_the_status(app: App, tmp_path: Path) -> None:
    track(app, NOW - timedelta(hours=1))
    folder = tmp_path / "candles"
    folder.mkdir()

    report = app.settling(candles=folder).run_pass(now=NOW)

    last = app.status.status(now=NOW).last_pass
    assert last is not None
    assert (last.at, last.checked, last.failures) == (NOW, 1, len(report.failures))


def test_feedback_counts_once_per_user_and_says_what_it_replaced(app: App) -> None:
    won = track(app, NOW - timedelta(hours=2))
    lost = track(app, NOW - timedelta(hours=1), symbol="ETHUSDT")

    assert app.feedback.answer(won, 1, "took", now=NOW) is None
    assert app.feedback.answer(won, 1, "took", now=NOW) is FeedbackAnswer.TOOK
    assert app.feedback.answer(won, 2, "SKIPPED", now=NOW) is None
    assert app.feedback.answer(lost, 1, FeedbackAnswer.SKIPPED, now=NOW) is None
    app.tracking.close(won, result="win", pnl_pct=2.0, actor="t", now=NOW)
    app.tracking.close(lost, result="loss", pnl_pct=-1.0, actor="t", now=NOW)

    summary = app.feedback.summary(7, now=NOW)

    tallies = {t.signal_id: t for t in summary.tallies}
    assert (tallies[won].took, tallies[won].skipped, tallies[won].receivers) == (1, 1, 4)
    assert tallies[won].took_share == 0.25
    assert (tallies[lost].took, tallies[lost].skipped) == (0, 1)
    assert (summary.taken.total, summary.taken.winrate) == (1, 1.0)
    assert (summary.skipped.total, summary.skipped.winrate) == (1, 0.0)


@pytest.mark.parametrize(
    ("signal_id", "user_id", "answer", "error", "field"),
    [
        ("1_BTCUSDT_1", 1, "maybe", InvalidInput, "answer"),
        ("1_BTCUSDT_1", "1", "took", InvalidInput, "user_id"),
        ("1_BTCUSDT_1", True, "took", InvalidInput, "user_id"),
        ("bad id!", 1, "took", InvalidInput, "signal_id"),
        ("1_BTCUSDT_1", 1, "took", SignalNotFound, None),
    ],
)
def test_bad_feedback_is_refused_naming_the_field(
    app: App, signal_id: str, user_id: object, answer: str, error: type[Exception],
    field: str | None,
) -> None:  # fmt: skip
    with pytest.raises(error) as raised:
        app.feedback.answer(signal_id, user_id, answer, now=NOW)  # type: ignore[arg-type]

    if field is not None:
        assert raised.value.field == field  # type: ignore[attr-defined]
    assert app.feedback.summary(7, now=NOW).tallies == ()
