"""The Telegram bot end to end: the real python-telegram-bot client polling a loopback fake
Bot API, answering from a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from bot_support import (
    ADMIN,
    NOW,
    OTHER_ADMIN,
    STRANGER,
    RunningBot,
    running_bot,
    write_candles,
)

from factories import bot_signal
from sigtrack.core.bot_records import PassRecord
from sigtrack.core.jobs import RunState
from sigtrack.core.signals import Status
from telegram_fake import FakeBotApi

pytestmark = pytest.mark.asyncio

AT = NOW - timedelta(hours=3)  # 10:00 in Jakarta, when the BTC / ETH candles start
BTC_ROWS = [(0, 50000, 50200, 49800, 50100), (1, 50100, 51200, 50050, 51000),
            (2, 51000, 51100, 49950, 50000), (3, 50000, 50100, 49900, 50050)]  # fmt: skip
ETH_ROWS = [(0, 3000, 3010, 2990, 3005), (1, 3005, 3065, 3000, 3050)]


@pytest_asyncio.fixture
async def bot(fake_bot_api: FakeBotApi, db_url: str) -> AsyncIterator[RunningBot]:
    async with running_bot(fake_bot_api, db_url) as running:
        yield running


def track(bot: RunningBot, **changes: object) -> str:
    sig = bot_signal(**changes)
    return bot.app.tracking.track(
        bot.app.tracking.build_signal(sig, now=NOW, created_at=changes.pop("at", AT),
                                      receivers=[ADMIN, STRANGER]),  # type: ignore[arg-type]
        now=NOW,
    )  # fmt: skip


def settled_history(bot: RunningBot, wins: int, losses: int, symbol: str = "BTCUSDT") -> None:
    for n in range(wins + losses):
        signal_id = track(bot, symbol=symbol, at=AT - timedelta(minutes=n + 1))
        result, pnl = ("win", 2.0) if n < wins else ("loss", -1.0)
        bot.app.tracking.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=NOW)


# --- /winrate --------------------------------------------------------------------------


async def test_winrate_shows_the_old_message_with_the_interval_and_the_open_count(
    bot: RunningBot,
) -> None:
    settled_history(bot, wins=3, losses=1)
    track(bot, symbol="ETHUSDT")

    reply = await bot.ask(ADMIN, "/winrate")

    assert reply.startswith("<b>📊 WINRATE SIGNAL (7 HARI)</b>\n")
    assert "• Total Signal: 4" in reply and "• Win: 3 ✅" in reply and "• Loss: 1 ❌" in reply
    assert "• Winrate: 75.0% 🎯" in reply
    assert re.search(r"• Interval 95%: \d+\.\d% – \d+\.\d%", reply)
    assert "⏳ Masih aktif (belum dihitung): 1" in reply
    assert bot.fake.sent(ADMIN)[-1]["parse_mode"] == "HTML"


async def test_winrate_is_the_number_the_service_gives(bot: RunningBot) -> None:
    settled_history(bot, wins=2, losses=2)

    reply = await bot.ask(ADMIN, "/winrate 30")

    summary = bot.app.tracking.winrate(30, now=NOW)
    assert "<b>📊 WINRATE SIGNAL (30 HARI)</b>" in reply
    assert f"• Winrate: {summary.winrate_pct:.1f}% 🎯" in reply


@pytest.mark.parametrize("args", ["abc", "-5", "100000", "0", "366", "7 30", "7.5"])
async def test_winrate_with_bad_days_gets_the_usage(bot: RunningBot, args: str) -> None:
    reply = await bot.ask(ADMIN, f"/winrate {args}")

    assert reply == "Pakai: /winrate [hari] — hari 1–365, misalnya /winrate 30"


async def test_winrate_speaks_english_by_setting(fake_bot_api: FakeBotApi, db_url: str) -> None:
    async with running_bot(fake_bot_api, db_url, lang="en") as bot:
        reply = await bot.ask(ADMIN, "/winrate 30")
        usage = await bot.ask(ADMIN, "/winrate abc")

    assert reply.startswith("<b>📊 SIGNAL WINRATE (30 DAYS)</b>")
    assert usage.startswith("Usage: /winrate [days]")


# --- access ----------------------------------------------------------------------------

ADMIN_COMMANDS = ["/winrate", "/signal_stats", "/weekly_report", "/stats symbol", "/open",
                  "/close X_1 win", "/cancel X_1", "/feedback", "/upload_logs",
                  "/admin"]  # fmt: skip


async def test_a_stranger_gets_one_short_refusal_for_every_admin_command(
    bot: RunningBot,
) -> None:
    signal_id = track(bot)
    for command in [*ADMIN_COMMANDS, f"/close {signal_id} win", f"/cancel {signal_id}"]:
        reply = await bot.ask(STRANGER, command)
        assert reply == "⛔ Perintah ini hanya untuk admin.", command

    assert bot.app.tracking.get(signal_id).status is Status.ACTIVE
    assert len(bot.fake.sent(STRANGER)) == len(ADMIN_COMMANDS) + 2  # one reply each


async def test_help_lists_exactly_the_commands_the_sender_may_use(bot: RunningBot) -> None:
    admin_help = await bot.ask(ADMIN, "/help")
    stranger_help = await bot.ask(STRANGER, "/help")

    listed = re.findall(r"^/(\w+)", admin_help, flags=re.MULTILINE)
    assert listed == ["winrate", "signal_stats", "weekly_report", "stats", "open", "close",
                      "cancel", "feedback", "upload_logs", "admin", "help"]  # fmt: skip
    assert re.findall(r"^/(\w+)", stranger_help, flags=re.MULTILINE) == ["help"]


async def test_public_winrate_opens_winrate_and_nothing_else(
    fake_bot_api: FakeBotApi, db_url: str
) -> None:
    async with running_bot(fake_bot_api, db_url, public_winrate=True) as bot:
        winrate = await bot.ask(STRANGER, "/winrate")
        stats = await bot.ask(STRANGER, "/signal_stats")
        listed = re.findall(r"^/(\w+)", await bot.ask(STRANGER, "/help"), flags=re.MULTILINE)

    assert winrate.startswith("<b>📊 WINRATE SIGNAL (7 HARI)</b>")
    assert stats == "⛔ Perintah ini hanya untuk admin."
    assert listed == ["winrate", "help"]


async def test_every_command_is_logged_as_activity(bot: RunningBot) -> None:
    await bot.ask(ADMIN, "/winrate")
    await bot.ask(STRANGER, "/open")

    logged = list(bot.app.store.list_activity())
    assert [(a.user_id, a.command) for a in logged] == [(ADMIN, "/winrate"), (STRANGER, "/open")]


# --- /signal_stats, /open, /stats, /weekly_report -------------------------------------


async def test_signal_stats_shows_the_store_today_commands_and_the_last_pass(
    bot: RunningBot,
) -> None:
    settled_history(bot, wins=1, losses=1)
    track(bot, symbol="ETHUSDT")
    bot.app.store.record_pass(PassRecord(
        at=NOW - timedelta(minutes=1), source="binance-usdm", checked=3, symbols=2, closed=1,
        tp_hits=2, wins=1, losses=0, expired=0, failures=1, elapsed_s=0.25,
    ))  # fmt: skip

    reply = await bot.ask(ADMIN, "/signal_stats")

    assert reply.splitlines() == [
        "<b>📡 STATUS SIGNAL TRACKING</b>",
        "• Signal aktif: 1",
        "• Signal selesai: 2",
        "• Signal hari ini: 3 (sejak 2026-01-08 00:00, Asia/Jakarta)",
        "• Perintah tercatat: 1",
        "• Settling terakhir: 2026-01-08 12:59 (binance-usdm) — 3 dicek, 1 selesai (1 win, "
        "0 loss, 0 kedaluwarsa), 2 TP, 0.2 dtk",
        "  ⚠️ 1 koin tanpa candle pada pass itu",
        "• Laporan mingguan: belum pernah",
        "• Backup: belum pernah",
        f"• Penyimpanan: {bot.services.status.store_name}",
    ]


async def test_signal_stats_shows_the_last_run_of_each_job(bot: RunningBot) -> None:
    monday = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    store = bot.app.store
    store.claim_slot("weekly_report", monday, now=monday, max_attempts=3, lease_s=60)
    store.finish_slot("weekly_report", monday, state=RunState.DONE, now=monday,
                      detail={"where": "2 admin(s)"}, duration_s=1.25)  # fmt: skip
    night = datetime(2026, 1, 7, 16, 0, tzinfo=UTC)
    store.claim_slot("backup", night, now=night, max_attempts=3, lease_s=60)
    error = "BackupError: s3://b/p: <unreachable> & down"
    store.finish_slot("backup", night, state=RunState.FAILED, now=night, error=error,
                      duration_s=2.0)  # fmt: skip

    lines = (await bot.ask(ADMIN, "/signal_stats")).splitlines()

    assert (
        "• Laporan mingguan: 2026-01-05 09:00 (Asia/Jakarta) — selesai (1.2 s): 2 admin(s)" in lines
    )
    assert ("• Backup: 2026-01-07 23:00 (Asia/Jakarta) — gagal (2.0 s): BackupError: s3://b/p: "
            "&lt;unreachable&gt; &amp; down") in lines  # fmt: skip


async def test_open_lists_age_and_distances_once_a_pass_read_a_price(
    bot: RunningBot, tmp_path: Path
) -> None:
    btc = track(bot, symbol="BTCUSDT")
    track(bot, symbol="ETHUSDT", side="SHORT", entry_price=3000.0, tp1=2940.0, tp2=2880.0,
          sl=3200.0)  # fmt: skip
    folder = tmp_path / "candles"
    folder.mkdir()
    write_candles(folder / "BTCUSDT.csv", BTC_ROWS[:1])  # one candle: closes at 50100
    bot.app.settling(candles=folder).run_pass(now=NOW)

    reply = await bot.ask(ADMIN, "/open")

    lines = reply.splitlines()
    assert lines[0] == "<b>⏳ SIGNAL AKTIF (2)</b>"
    assert lines[1].startswith("• BTCUSDT LONG 15m · 3 jam 0 mnt · entry 50000 · <code>")
    assert btc in lines[1]
    # 50100 → TP1 51000: +1.80 %; stop 49000: 2.20 % of room
    assert lines[2] == "  harga 50100 · TP1 +1.80% · SL +2.20%"
    assert lines[3].startswith("• ETHUSDT SHORT 15m")
    assert lines[4] == "  belum ada harga (menunggu settling)"


async def test_stats_is_a_monospace_table_with_best_and_worst_marked(bot: RunningBot) -> None:
    settled_history(bot, wins=9, losses=1, symbol="BTCUSDT")
    settled_history(bot, wins=1, losses=9, symbol="DOGEUSDT")

    reply = await bot.ask(ADMIN, "/stats symbol 30")

    assert reply.startswith("<b>📊 PERFORMA PER SYMBOL (")
    table = re.search(r"<pre>(.*?)</pre>", reply, flags=re.DOTALL)
    assert table is not None
    rows = table.group(1).splitlines()
    assert rows[0].split() == ["symbol", "n", "W-L", "WR", "PnL"]
    assert rows[1].split()[:5] == ["BTCUSDT", "10", "9-1", "90.0%", "+1.7%"]
    assert rows[1].split()[-1] == "▲"
    assert rows[2].split()[:4] == ["DOGEUSDT", "10", "1-9", "10.0%"]
    assert rows[2].split()[-1] == "▼"
    assert len({len(row.rstrip()) for row in rows[:1]}) == 1


@pytest.mark.parametrize("args", ["", "coin", "symbol abc", "symbol 0", "symbol 30 x"])
async def test_stats_with_bad_arguments_gets_the_usage(bot: RunningBot, args: str) -> None:
    reply = await bot.ask(ADMIN, f"/stats {args}".strip())

    assert reply.startswith("Pakai: /stats &lt;symbol|timeframe|side|tag|strategy|confidence|")


async def test_weekly_report_of_a_given_week_and_a_bad_one(bot: RunningBot) -> None:
    settled_history(bot, wins=2, losses=1)

    reply = await bot.ask(ADMIN, "/weekly_report 2026-W02")
    bad = await bot.ask(ADMIN, "/weekly_report 2026-W99")

    assert reply.startswith("<b>📋 LAPORAN MINGGUAN SIGNAL — 2026-W02</b>")
    assert "Winrate" in reply
    assert bad == "Pakai: /weekly_report [YYYY-Www] — misalnya /weekly_report 2026-W47"


# --- /close, /cancel -------------------------------------------------------------------


async def test_close_by_hand_is_recorded_with_the_admins_id_and_shows_in_winrate(
    bot: RunningBot,
) -> None:
    signal_id = track(bot)

    reply = await bot.ask(ADMIN, f"/close {signal_id} win 2.5% took profit early")
    winrate = await bot.ask(ADMIN, "/winrate")

    actor = f"telegram:{ADMIN} @user{ADMIN}"
    assert reply == (f"✅ Signal {signal_id} ditutup: WIN, PnL +2.5% (oleh {actor})\n"
                     "📝 took profit early")  # fmt: skip
    record = bot.app.tracking.get(signal_id)
    assert (record.status, record.pnl_pct) == (Status.CLOSED, 2.5)
    closed = bot.app.tracking.events(signal_id)[-1]
    assert (closed.actor, closed.note) == (actor, "took profit early")
    assert "• Win: 1 ✅" in winrate and "• Winrate: 100.0% 🎯" in winrate


async def test_close_of_a_closed_signal_needs_override(bot: RunningBot) -> None:
    signal_id = track(bot)
    await bot.ask(ADMIN, f"/close {signal_id} win")

    again = await bot.ask(OTHER_ADMIN, f"/close {signal_id} loss -1")
    changed = await bot.ask(OTHER_ADMIN, f"/close {signal_id} loss -1 misread override")

    assert again == (f"Signal {signal_id} sudah ditutup (WIN). Untuk mengubahnya: "
                     f"/close {signal_id} loss override")  # fmt: skip
    assert changed.startswith(f"✅ Signal {signal_id} ditutup: LOSS, PnL -1.0%")
    assert bot.app.tracking.get(signal_id).pnl_pct == -1.0


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/close", "Pakai: /close &lt;signal_id&gt;"),
        ("/close SOME_1", "Pakai: /close &lt;signal_id&gt;"),
        ("/close SOME_1 maybe", "Pakai: /close &lt;signal_id&gt;"),
        ("/close NOPE_1 win", "Signal NOPE_1 tidak ditemukan."),
        ("/cancel", "Pakai: /cancel &lt;signal_id&gt; [catatan…]"),
        ("/cancel NOPE_1", "Signal NOPE_1 tidak ditemukan."),
        ("/close bad<id> win", "⚠️ Gagal: signal_id: must be 1–128 letters"),
    ],
)
async def test_close_and_cancel_with_bad_arguments_say_what_is_wrong(
    bot: RunningBot, command: str, expected: str
) -> None:
    reply = await bot.ask(ADMIN, command)

    assert reply.startswith(expected)


async def test_cancel_by_hand(bot: RunningBot) -> None:
    signal_id = track(bot)

    reply = await bot.ask(ADMIN, f"/cancel {signal_id} sent by mistake")
    again = await bot.ask(ADMIN, f"/cancel {signal_id}")

    assert reply == (f"🚫 Signal {signal_id} dibatalkan (oleh telegram:{ADMIN} @user{ADMIN})\n"
                     "📝 sent by mistake")  # fmt: skip
    assert again.startswith(f"Signal {signal_id} sudah ditutup (CANCELLED).")


# --- HTML and the 4,096 limit ----------------------------------------------------------


async def test_html_in_a_note_and_in_the_store_path_is_shown_literally(
    fake_bot_api: FakeBotApi, tmp_path: Path
) -> None:
    folder = tmp_path / "<b>bots & co<i>"
    folder.mkdir()
    async with running_bot(fake_bot_api, f"sqlite:///{folder / 'x.db'}") as bot:
        signal_id = track(bot)
        closed = await bot.ask(ADMIN, f"/close {signal_id} win 1 <b>moon</b> & <i>back")
        status = await bot.ask(ADMIN, "/signal_stats")

    # the fake refuses HTML Telegram could not parse, so these replies got through escaped
    assert closed.endswith("📝 &lt;b&gt;moon&lt;/b&gt; &amp; &lt;i&gt;back")
    assert "&lt;b&gt;bots &amp; co&lt;i&gt;/x.db" in status


async def test_a_reply_over_4096_characters_is_split_into_valid_parts(bot: RunningBot) -> None:
    for n in range(60):
        track(bot, symbol=f"C{n:03d}USDT", at=AT - timedelta(minutes=n))

    before = len(bot.fake.sent(ADMIN))
    bot.fake.send_text(ADMIN, "/open")
    sent = await asyncio.to_thread(bot.fake.wait_sent, ADMIN, before + 2)
    await asyncio.sleep(0.3)  # let any further part arrive
    parts = bot.fake.sent(ADMIN)[before:]

    assert len(parts) >= 2 and len(sent) >= before + 2
    assert all(len(p["text"].encode("utf-16-le")) // 2 <= 4096 for p in parts)
    joined = "\n".join(p["text"] for p in parts)
    assert joined.count("• C") == 50  # the first 50, oldest first …
    assert "… dan 10 lainnya" in joined  # … and how many more


# --- the admin panel -------------------------------------------------------------------


async def test_the_admin_panel_edits_itself_in_place_and_goes_back(bot: RunningBot) -> None:
    settled_history(bot, wins=3, losses=1)
    await bot.ask(ADMIN, "/admin")
    panel = bot.fake.sent(ADMIN)[-1]
    buttons = panel["reply_markup"]["inline_keyboard"]
    assert [b["text"] for row in buttons for b in row] == [
        "📊 Signal Tracking", "💾 Upload logs / Backup sekarang"]  # fmt: skip

    edits = 0

    async def press(data: str) -> dict[str, object]:
        nonlocal edits
        bot.fake.press(ADMIN, panel["message_id"], data)
        edits += 1
        await asyncio.to_thread(bot.fake.wait_edit, ADMIN, panel["message_id"], edits)
        return bot.fake.message(ADMIN, panel["message_id"])

    tracking = await press(buttons[0][0]["callback_data"])
    labels = [b["text"] for row in tracking["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Winrate 7 hari", "Winrate 30 hari", "Laporan mingguan", "Signal aktif",
                      "Per koin", "⬅️ Kembali"]  # fmt: skip
    data = {b["text"]: b["callback_data"]
            for row in tracking["reply_markup"]["inline_keyboard"] for b in row}  # fmt: skip
    assert all(len(d.encode()) <= 64 for d in data.values())

    seven = await press(data["Winrate 7 hari"])
    assert str(seven["text"]).startswith("<b>📊 WINRATE SIGNAL (7 HARI)</b>")
    assert "Winrate: 75.0%" in str(seven["text"])
    back = seven["reply_markup"]["inline_keyboard"][0][0]
    assert back["text"] == "⬅️ Kembali"
    await press(back["callback_data"])
    thirty = await press(data["Winrate 30 hari"])
    assert str(thirty["text"]).startswith("<b>📊 WINRATE SIGNAL (30 HARI)</b>")
    for label, start in [("Laporan mingguan", "<b>📋 LAPORAN MINGGUAN SIGNAL"),
                         ("Signal aktif", "<b>⏳ SIGNAL AKTIF"),
                         ("Per koin", "<b>📊 PERFORMA PER SYMBOL")]:  # fmt: skip
        await press(back["callback_data"])
        shown = await press(data[label])
        assert str(shown["text"]).startswith(start), label
    assert len(bot.fake.sent(ADMIN)) == 1  # the panel only: every answer was an edit
    assert len(bot.fake.answers()) == edits  # every press answered


async def test_a_stranger_pressing_the_panel_in_a_group_changes_nothing(bot: RunningBot) -> None:
    group = -1001234
    bot.fake.send_text(ADMIN, "/admin", chat_id=group)
    [panel] = await bot.fake.wait_sent_async(group)
    home = panel["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    bot.fake.press(STRANGER, panel["message_id"], home, chat_id=group)
    await bot.fake.wait_for_async(lambda: len(bot.fake.answers()) >= 1)
    assert bot.fake.edits() == []
    bot.fake.press(ADMIN, panel["message_id"], home, chat_id=group)  # the admin opens it
    await bot.fake.wait_edit_async(group, panel["message_id"])
    shown = bot.fake.message(group, panel["message_id"])
    views = [b["callback_data"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]

    for data in views:  # every button of Signal Tracking, Back included
        bot.fake.press(STRANGER, panel["message_id"], data, chat_id=group)
    await bot.fake.wait_for_async(lambda: len(bot.fake.answers()) >= 2 + len(views))

    assert len(bot.fake.edits()) == 1  # the admin's only
    refusals = [a["text"] for a in bot.fake.answers() if a.get("text")]
    assert refusals == ["⛔ Hanya untuk admin."] * (1 + len(views))
    assert bot.fake.message(group, panel["message_id"]) == shown
    assert len(bot.fake.sent(group)) == 1  # no reply leaked the data into the group


# --- feedback --------------------------------------------------------------------------


async def test_feedback_is_one_answer_per_user_and_signal_and_shows_in_the_numbers(
    bot: RunningBot,
) -> None:
    from sigtrack.adapters.telegram import feedback_keyboard  # noqa: PLC0415

    won, lost = track(bot, symbol="BTCUSDT"), track(bot, symbol="ETHUSDT")
    # the operator's broadcast: a message with the keyboard, as their bot sends it
    messages = {}
    for signal_id in (won, lost):
        messages[signal_id] = await bot.application.bot.send_message(
            STRANGER, f"signal {signal_id}", reply_markup=feedback_keyboard(signal_id)
        )
    took = {sid: m.reply_markup.inline_keyboard[0][0].callback_data for sid, m in messages.items()}
    skip = {sid: m.reply_markup.inline_keyboard[0][1].callback_data for sid, m in messages.items()}

    bot.fake.press(STRANGER, messages[won].message_id, took[won])
    bot.fake.press(STRANGER, messages[won].message_id, took[won])  # the same tap twice
    bot.fake.press(STRANGER, messages[lost].message_id, took[lost])
    bot.fake.press(STRANGER, messages[lost].message_id, skip[lost])  # changed their mind
    await asyncio.to_thread(bot.fake.wait_for, lambda: len(bot.fake.answers()) >= 4)
    bot.app.tracking.close(won, result="win", pnl_pct=2.0, actor="t", now=NOW)
    bot.app.tracking.close(lost, result="loss", pnl_pct=-1.0, actor="t", now=NOW)

    toasts = [a["text"] for a in bot.fake.answers()]
    assert toasts == ["Tercatat: diambil", "Tercatat: diambil", "Tercatat: diambil",
                      "Diubah: diambil → dilewati"]  # fmt: skip
    summary = bot.app.feedback.summary(30, now=NOW)
    assert (summary.taken.wins, summary.taken.losses) == (1, 0)
    assert (summary.skipped.wins, summary.skipped.losses) == (0, 1)
    tallies = {t.signal_id: t for t in summary.tallies}
    assert (tallies[won].took, tallies[won].skipped, tallies[won].receivers) == (1, 0, 2)
    assert tallies[won].took_share == 0.5
    reply = await bot.ask(ADMIN, "/feedback 30")
    assert "• Diambil: 1 signal — winrate 100.0%" in reply
    assert "• Dilewati: 1 signal — winrate 0.0%" in reply
    assert f"BTCUSDT {won}: 1/2 ambil (50.0%), 0 lewati" in reply


async def test_a_tap_on_an_unknown_signal_is_answered_and_stores_nothing(bot: RunningBot) -> None:
    from sigtrack.adapters.telegram import feedback_keyboard  # noqa: PLC0415

    message = await bot.application.bot.send_message(
        STRANGER, "old signal", reply_markup=feedback_keyboard("GONE_1")
    )
    bot.fake.press(STRANGER, message.message_id, "st:f:t:GONE_1")
    bot.fake.press(STRANGER, message.message_id, "st:f:s:GONE_1")
    await bot.fake.wait_for_async(lambda: len(bot.fake.answers()) >= 2)

    assert [a["text"] for a in bot.fake.answers()] == ["Signal ini tidak dikenal."] * 2
    assert bot.app.feedback.summary(30, now=NOW).tallies == ()


async def test_the_token_never_reaches_the_logs_even_at_debug(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await bot.ask(ADMIN, "/winrate")
        await bot.ask(STRANGER, "/open")
        bot.fake.drop_next("sendMessage")  # a network error is logged too
        await bot.ask(ADMIN, "/help")

    assert caplog.records, "the bot logged nothing: the test would prove nothing"
    assert all(bot.fake.token not in r.getMessage() for r in caplog.records)
    assert bot.fake.token not in caplog.text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


@pytest.mark.parametrize("pnl", ["nan", "inf", "-inf", "1e999"])
async def test_close_with_a_pnl_that_is_not_a_number_is_refused(bot: RunningBot, pnl: str) -> None:
    signal_id = track(bot)

    reply = await bot.ask(ADMIN, f"/close {signal_id} win {pnl}")

    assert reply.startswith("⚠️ Gagal: pnl_pct:")
    assert bot.app.tracking.get(signal_id).status is Status.ACTIVE


async def test_upload_logs_backs_up_now_and_says_where_and_that_it_verified(
    bot: RunningBot,
) -> None:
    settled_history(bot, wins=1, losses=1)

    reply = await bot.ask(ADMIN, "/upload_logs")
    refused = await bot.ask(STRANGER, "/upload_logs")

    title, line = reply.splitlines()
    assert re.fullmatch(r"<b>💾 BACKUP sigtrack-\d{8}T\d{6}Z</b>", title)
    assert line.startswith("• signal_logs/backups: ") and line.endswith("✅ terverifikasi")
    assert [p.name for p in (Path.cwd() / "signal_logs" / "backups").iterdir()] == [
        title.removeprefix("<b>💾 BACKUP ").removesuffix("</b>")
    ]
    assert refused == "⛔ Perintah ini hanya untuk admin."


async def test_the_panels_backup_button_backs_up_in_place(bot: RunningBot) -> None:
    await bot.ask(ADMIN, "/admin")
    panel = bot.fake.sent(ADMIN)[-1]
    backup = panel["reply_markup"]["inline_keyboard"][1][0]

    bot.fake.press(ADMIN, panel["message_id"], backup["callback_data"])
    await bot.fake.wait_edit_async(ADMIN, panel["message_id"], timeout=30)

    shown = bot.fake.message(ADMIN, panel["message_id"])
    assert str(shown["text"]).startswith("<b>💾 BACKUP sigtrack-")
    assert "✅ terverifikasi" in str(shown["text"])
    assert shown["reply_markup"]["inline_keyboard"][0][0]["text"] == "⬅️ Kembali"
