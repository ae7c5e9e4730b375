"""The README's lines in an operator's existing bot: `register(application, tracker)` adds
sigtrack beside the bot's own handlers; its broadcast tracks the signal and attaches the
feedback buttons; the monitor and the announcements run with the application."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from factories import bot_signal, settings_for
from sigtrack import Tracker
from sigtrack.core.bot_records import OutboxState
from sigtrack.telegram import feedback_keyboard, register
from telegram_fake import FakeBotApi

ADMIN, RECEIVER, CHAT = 1001, 3003, -100555


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The operator's own command, which must keep working."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("welcome to my signals")


def operator_application(fake: FakeBotApi, tracker: Tracker):  # type: ignore[no-untyped-def]
    """An operator's bot: its own /start, and a broadcast with the README's two lines."""

    async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        signal_id = tracker.track(bot_signal(), receivers=[RECEIVER])
        await context.bot.send_message(RECEIVER, f"📈 BTCUSDT LONG · {signal_id}",
                                       reply_markup=feedback_keyboard(signal_id))  # fmt: skip

    application = (
        ApplicationBuilder().token(fake.token).base_url(fake.base_url)
        .base_file_url(fake.base_file_url).build()
    )  # fmt: skip
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("send_signal", broadcast))
    return application


def ask(fake: FakeBotApi, user: int, text: str) -> str:
    before = len(fake.sent(user))
    fake.send_text(user, text)
    return fake.wait_sent(user, before + 1)[-1]["text"]


def test_register_adds_sigtrack_beside_the_bots_own_commands(
    fake_bot_api: FakeBotApi, db_url: str
) -> None:
    settings = replace(settings_for(db_url), admin_ids=(ADMIN,))
    with Tracker.open(settings=settings) as tracker:
        application = operator_application(fake_bot_api, tracker)
        register(application, tracker)
        with fake_bot_api.running(application):
            fake_bot_api.send_text(ADMIN, "/send_signal")
            [message] = fake_bot_api.wait_sent(RECEIVER)
            took = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            fake_bot_api.press(RECEIVER, message["message_id"], took)
            fake_bot_api.wait_for(lambda: len(fake_bot_api.answers()) >= 1)
            own = ask(fake_bot_api, ADMIN, "/start")
            winrate = ask(fake_bot_api, ADMIN, "/winrate")
            refused = ask(fake_bot_api, RECEIVER, "/signal_stats")
        tally = tracker.app.feedback.summary(7, now=datetime.now(UTC)).tallies

    assert own == "welcome to my signals"
    assert winrate.startswith("<b>📊 WINRATE SIGNAL (7 HARI)</b>")
    assert "⏳ Masih aktif (belum dihitung): 1" in winrate
    assert refused == "⛔ Perintah ini hanya untuk admin."
    assert fake_bot_api.answers()[0]["text"] == "Tercatat: diambil"
    assert [(t.took, t.receivers) for t in tally] == [(1, 1)]
    assert tally[0].signal_id in message["text"]


def test_register_with_the_monitor_posts_the_closes_it_settles(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    start_at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    base = int(start_at.timestamp() * 1000)
    folder = tmp_path / "candles"
    folder.mkdir()
    (folder / "BTCUSDT.csv").write_text(
        "timestamp,open,high,low,close\n"
        f"{base},50000,50200,49800,50100\n{base + 60_000},50100,50200,48900,49000\n",
        encoding="utf-8",
    )
    settings = replace(settings_for(sqlite_url, announce_chat=str(CHAT)), admin_ids=(ADMIN,))
    with Tracker.open(settings=settings) as tracker:
        tracker.track(bot_signal(), created_at=start_at, now=start_at + timedelta(seconds=1))
        application = operator_application(fake_bot_api, tracker)
        register(application, tracker, monitor=True, candles=folder)
        with polling(application):  # run_polling, as most bots do: post_init starts them
            [post] = fake_bot_api.wait_sent(CHAT, timeout=30)
        counts = tracker.app.store.outbox_counts()
        passes = tracker.app.status.status(now=datetime.now(UTC)).last_pass

    assert post["text"].startswith("<b>❌ BTCUSDT LONG 15m — LOSS (SL)</b>")
    assert counts[OutboxState.SENT] == 1
    assert passes is not None and passes.closed == 1


def test_a_bot_driving_its_own_lifecycle_starts_the_background_itself(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    settings = replace(settings_for(sqlite_url, announce_chat=str(CHAT)), admin_ids=(ADMIN,))
    folder = tmp_path / "candles"
    folder.mkdir()
    with Tracker.open(settings=settings) as tracker:
        application = operator_application(fake_bot_api, tracker)
        background = register(application, tracker, monitor=True, candles=folder)
        assert background is not None
        with fake_bot_api.running(application, on_start=background.start,
                                  on_stop=background.stop):  # fmt: skip
            fake_bot_api.wait_for(lambda: tracker.app.store.last_pass() is not None)


@contextmanager
def polling(application) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """`application.run_polling()` in a thread of its own until the block ends."""
    loop = asyncio.new_event_loop()

    def run() -> None:
        asyncio.set_event_loop(loop)
        application.run_polling(stop_signals=None, close_loop=False)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(application.stop_running)
        thread.join(timeout=30)
        loop.close()
        assert not thread.is_alive()
