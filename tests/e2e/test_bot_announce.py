"""Announcements and sending: TP hits and closes posted once per signal and event across
restarts, a 429 waited out, network errors retried — through the real PTB client and the
loopback fake Bot API, from a real store."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from bot_support import ADMIN, NOW, RunningBot, running_bot, write_candles

from factories import bot_signal
from sigtrack.core.bot_records import OutboxState
from telegram_fake import FakeBotApi

pytestmark = pytest.mark.asyncio

CHAT, TOPIC = -100777, 42
AT = NOW - timedelta(hours=3)  # 10:00 in Jakarta, when the candles start
# BTC: TP1 (51000) at 10:01, then the stop moved to entry at 10:02: WIN TP1_BE, +1.00 %.
BTC_ROWS = [(0, 50000, 50200, 49800, 50100), (1, 50100, 51200, 50050, 51000),
            (2, 51000, 51100, 49950, 50000), (3, 50000, 50100, 49900, 50050)]  # fmt: skip
# ETH SHORT: the stop (3060) at 10:01: LOSS SL, −2.00 %, R −1.
ETH_ROWS = [(0, 3000, 3010, 2990, 3005), (1, 3005, 3065, 3000, 3050)]


@pytest.fixture
def candles(tmp_path: Path) -> Path:
    folder = tmp_path / "candles"
    folder.mkdir()
    write_candles(folder / "BTCUSDT.csv", BTC_ROWS)
    write_candles(folder / "ETHUSDT.csv", ETH_ROWS)
    return folder


@pytest_asyncio.fixture
async def bot(fake_bot_api: FakeBotApi, db_url: str) -> AsyncIterator[RunningBot]:
    async with running_bot(fake_bot_api, db_url, announce_chat=str(CHAT),
                           announce_thread=TOPIC) as running:  # fmt: skip
        yield running


def settle_two(bot: RunningBot, candles: Path) -> tuple[str, str]:
    """Track BTC (LONG) and ETH (SHORT) and run one monitor pass that closes both."""
    build = bot.app.tracking.build_signal
    btc = bot.app.tracking.track(build(bot_signal(), now=NOW, created_at=AT), now=NOW)
    eth = bot.app.tracking.track(build(bot_signal(
        symbol="ETHUSDT", side="SHORT", entry_price=3000.0, tp1=2940.0, tp2=2880.0, sl=3060.0,
    ), now=NOW, created_at=AT), now=NOW)  # fmt: skip
    report = bot.app.settling(candles=candles).run_pass(now=NOW)
    assert (report.closed_count, report.tp_hits) == (2, 1)
    return btc, eth


async def test_a_pass_posts_each_tp_hit_and_close_to_the_topic(
    bot: RunningBot, candles: Path
) -> None:
    settle_two(bot, candles)

    sent = await bot.announcer(CHAT, TOPIC).run_once(bot.application.bot)

    posts = bot.fake.sent(CHAT)
    assert sent == 3 and len(posts) == 3
    assert all(p["message_thread_id"] == TOPIC and p["parse_mode"] == "HTML" for p in posts)
    texts = sorted(p["text"] for p in posts)
    assert texts == sorted([
        "<b>🎯 BTCUSDT LONG 15m — TP1 tercapai di 51000</b>\n⏱ 1 mnt setelah signal",
        "<b>✅ BTCUSDT LONG 15m — WIN (TP1_BE)</b>\nPnL +1.00% · +0.50R · ditahan 2 mnt",
        "<b>❌ ETHUSDT SHORT 15m — LOSS (SL)</b>\nPnL -2.00% · -1.00R · ditahan 1 mnt",
    ])  # fmt: skip


async def test_each_event_is_posted_once_across_restarts(
    fake_bot_api: FakeBotApi, db_url: str, candles: Path
) -> None:
    async with running_bot(fake_bot_api, db_url, announce_chat=str(CHAT)) as bot:
        settle_two(bot, candles)
        assert await bot.announcer(CHAT).run_once(bot.application.bot) == 3
        bot.app.settling(candles=candles).run_pass(now=NOW + timedelta(minutes=5))
        assert await bot.announcer(CHAT).run_once(bot.application.bot) == 0
    async with running_bot(fake_bot_api, db_url, announce_chat=str(CHAT)) as again:
        assert await again.announcer(CHAT).run_once(again.application.bot) == 0
        counts = again.app.store.outbox_counts()

    assert len(fake_bot_api.sent(CHAT)) == 3
    assert counts[OutboxState.SENT] == 3 and counts[OutboxState.PENDING] == 0


async def test_a_claim_never_marked_is_sent_once_more_after_the_lease_and_reported(
    bot: RunningBot, candles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settle_two(bot, candles)
    died_with = bot.app.announcements.claim(now=NOW, limit=1)  # sent, then the process died
    assert len(died_with) == 1

    assert await bot.announcer(CHAT).run_once(bot.application.bot) == 2  # the other two
    bot.clock.advance(seconds=301)
    with caplog.at_level(logging.WARNING):
        assert await bot.announcer(CHAT).run_once(bot.application.bot) == 1
        assert await bot.announcer(CHAT).run_once(bot.application.bot) == 0

    assert len(bot.fake.sent(CHAT)) == 3
    warned = [r.getMessage() for r in caplog.records if "may arrive twice" in r.getMessage()]
    assert len(warned) == 1 and f"of {died_with[0].signal_id}" in warned[0]


async def test_a_429_is_waited_out_and_the_post_delivered_once(
    bot: RunningBot, candles: Path
) -> None:
    settle_two(bot, candles)
    fault = bot.fake.fail_next("sendMessage", retry_after=1)

    assert await bot.announcer(CHAT).run_once(bot.application.bot) == 3

    assert fault.refused == 1
    assert len(bot.fake.sent(CHAT)) == 3
    assert len([c for c in bot.fake.calls if c.method == "sendMessage"]) == 4


async def test_a_429_on_a_reply_is_waited_out(bot: RunningBot) -> None:
    fault = bot.fake.fail_next("sendMessage", retry_after=1)

    reply = await bot.ask(ADMIN, "/winrate")

    assert fault.refused == 1
    assert reply.startswith("<b>📊 WINRATE SIGNAL (7 HARI)</b>")
    assert len(bot.fake.sent(ADMIN)) == 1


async def test_network_errors_are_retried_then_given_back_to_the_outbox_and_logged_once(
    bot: RunningBot, candles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settle_two(bot, candles)
    bot.fake.drop_next("sendMessage", times=2)  # two drops: the third try of the first post

    assert await bot.announcer(CHAT).run_once(bot.application.bot) == 3
    assert len(bot.fake.sent(CHAT)) == 3

    bot.clock.advance(minutes=1)
    bot.app.settling(candles=candles).run_pass(now=bot.clock())  # nothing new
    signal_id = bot.app.tracking.track(bot.app.tracking.build_signal(
        bot_signal(symbol="BTCUSDT", entry_price=50000.0), now=NOW, created_at=AT,
    ), now=NOW)  # fmt: skip
    bot.app.settling(candles=candles).run_pass(now=bot.clock())
    bot.fake.drop_next("sendMessage", times=8)  # every attempt of this round fails
    with caplog.at_level(logging.ERROR):
        assert await bot.announcer(CHAT).run_once(bot.application.bot) == 0
    failed = [r for r in caplog.records if "failed after 4 attempts" in r.getMessage()]
    assert len(failed) >= 1
    assert bot.app.store.outbox_counts()[OutboxState.PENDING] >= 1  # kept for the next round

    assert await bot.announcer(CHAT).run_once(bot.application.bot) >= 1  # delivered now
    assert bot.app.store.outbox_counts()[OutboxState.PENDING] == 0
    assert signal_id


async def test_news_older_than_a_day_is_not_posted(bot: RunningBot, candles: Path) -> None:
    settle_two(bot, candles)
    bot.clock.advance(days=2)

    assert await bot.announcer(CHAT).run_once(bot.application.bot) == 0

    assert bot.fake.sent(CHAT) == []
    assert bot.app.store.outbox_counts()[OutboxState.EXPIRED] == 3


async def test_resolve_alone_queues_nothing_without_an_announcements_chat(
    fake_bot_api: FakeBotApi, db_url: str, candles: Path
) -> None:
    async with running_bot(fake_bot_api, db_url) as bot:
        settle_two(bot, candles)
        assert await bot.announcer(CHAT).run_once(bot.application.bot) == 0
        assert bot.app.store.outbox_counts()[OutboxState.PENDING] == 0
