"""The bot's messages: every value escaped, the old labels, English by setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from factories import make_signal
from sigtrack.core.bot_records import (
    Announcement,
    FeedbackAnswer,
    OutboxCounts,
    OutboxState,
    PassRecord,
    StoreCounts,
    StoreStatus,
)
from sigtrack.core.records import Closing, SignalRecord
from sigtrack.core.render import bot as render
from sigtrack.core.signals import EventKind, ExitReason, Result, Side, Status
from sigtrack.core.texts import Lang

AT = datetime(2026, 1, 8, 3, 0, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")


def announcement(kind: EventKind, **data: object) -> Announcement:
    return Announcement(
        outbox_id=1, event_id=7, signal_id="1_BTCUSDT_1", kind=kind, at=AT,
        symbol="BTCUSDT", side=Side.LONG, timeframe="15m", entry=50000.0,
        created_at=AT - timedelta(hours=26, minutes=5), data=data, attempts=1, reclaimed=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("minutes", "lang", "expected"),
    [(0, Lang.ID, "0 mnt"), (59, Lang.ID, "59 mnt"), (61, Lang.ID, "1 jam 1 mnt"),
     (1565, Lang.ID, "1 hari 2 jam"), (61, Lang.EN, "1 h 1 min"), (1565, Lang.EN, "1 d 2 h"),
     (-5, Lang.ID, "0 mnt")],
)  # fmt: skip
def test_ages_read_in_minutes_hours_and_days(minutes: int, lang: Lang, expected: str) -> None:
    assert render.age_text(timedelta(minutes=minutes), lang) == expected


def test_a_tp_hit_announcement() -> None:
    html = render.announcement_html(announcement(EventKind.TP_HIT, target=1, price=51000.0),
                                    Lang.ID)  # fmt: skip

    assert html == (
        "<b>🎯 BTCUSDT LONG 15m — TP1 tercapai di 51000</b>\n⏱ 1 hari 2 jam setelah signal"
    )


def test_a_close_announcement_with_an_ambiguous_candle_in_english() -> None:
    item = announcement(EventKind.CLOSED, result="LOSS", exit_reason="SL", pnl_pct=-2.0,
                        r_multiple=-1.0, ambiguous="yes")  # fmt: skip

    html = render.announcement_html(item, Lang.EN)

    assert html.splitlines() == [
        "<b>❌ BTCUSDT LONG 15m — LOSS (SL)</b>",
        "PnL -2.00% · -1.00R · held 1 d 2 h",
        "⚠️ ambiguous candle: TP and SL in one candle",
    ]


def test_a_close_with_no_pnl_shows_a_dash_not_a_zero() -> None:
    item = announcement(EventKind.CLOSED, result="EXPIRED", exit_reason="EXPIRY",
                        pnl_pct=None, r_multiple=None)  # fmt: skip

    assert "PnL — · — · ditahan" in render.announcement_html(item, Lang.ID)


def test_status_with_failures_and_a_waiting_outbox() -> None:
    status = StoreStatus(
        counts=StoreCounts(open=2, closed=5, since=1, commands=9),
        today_since=datetime(2026, 1, 7, 17, 0, tzinfo=UTC),
        last_pass=PassRecord(at=AT, source="files", checked=2, symbols=1, closed=0, tp_hits=0,
                             wins=0, losses=0, expired=0, failures=1, elapsed_s=1.26),
        outbox=OutboxCounts(by_state={OutboxState.PENDING: 3, OutboxState.FAILED: 1}),
        store="postgresql+psycopg://u:***@h/db & <x>",
    )  # fmt: skip

    lines = render.status_html(status, JAKARTA, Lang.EN).splitlines()

    assert lines[3] == "• Signals today: 1 (since 2026-01-08 00:00, Asia/Jakarta)"
    assert lines[5].startswith("• Last settling pass: 2026-01-08 10:00 (files) — 2 checked")
    assert lines[5].endswith("0 TP hits, 1.3 s")
    assert lines[6] == "  ⚠️ 1 coins had no candles in that pass"
    assert lines[7] == "• Announcements: 3 waiting, 1 failed"
    assert lines[8:10] == ["• Weekly report: not run yet", "• Backup: not run yet"]
    assert lines[10] == "• Store: postgresql+psycopg://u:***@h/db &amp; &lt;x&gt;"


def test_closed_and_cancelled_with_a_note_escaped() -> None:
    won = SignalRecord(signal_id="s1", signal=make_signal(), status=Status.CLOSED,
                       closing=Closing(result=Result.WIN, exit_reason=ExitReason.MANUAL,
                                       closed_at=AT, pnl_pct=2.5))  # fmt: skip
    gone = SignalRecord(signal_id="s2", signal=make_signal(), status=Status.CLOSED,
                        closing=Closing(result=Result.CANCELLED, exit_reason=ExitReason.MANUAL,
                                        closed_at=AT))  # fmt: skip

    assert render.closed_html(won, "telegram:1", Lang.ID, "a<b") == (
        "✅ Signal s1 ditutup: WIN, PnL +2.5% (oleh telegram:1)\n📝 a&lt;b"
    )
    assert render.closed_html(gone, "telegram:1", Lang.EN) == (
        "🚫 Signal s2 cancelled (by telegram:1)"
    )


def test_the_feedback_toast_says_what_changed() -> None:
    took, skipped = FeedbackAnswer.TOOK, FeedbackAnswer.SKIPPED

    assert render.feedback_saved_text(took, None, Lang.ID) == "Tercatat: diambil"
    assert render.feedback_saved_text(took, took, Lang.ID) == "Tercatat: diambil"
    assert render.feedback_saved_text(skipped, took, Lang.EN) == "Changed: took it → skipped"


def test_help_lists_the_commands_given_in_order() -> None:
    html = render.help_html(["winrate", "help"], Lang.EN)

    assert html.splitlines() == [
        "<b>🤖 COMMANDS</b>",
        "/winrate [days] — signal winrate (7 days by default)",
        "/help — this list",
    ]
