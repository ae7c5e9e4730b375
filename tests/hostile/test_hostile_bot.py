"""Hostile input to the Telegram bot: a stranger's admin commands, forged callback queries and
SQL / HTML in what an admin types change nothing they may not, and the token never leaks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from bot_support import ADMIN, STRANGER, RunningBot, running_bot
from hostile_support import HOSTILE_TEXTS, Store, snapshot

from sigtrack.core.signals import Status
from telegram_fake import FakeBotApi

pytestmark = pytest.mark.asyncio
LOGGED = ("activity",)  # every command is logged as activity, a refused one too
REFUSAL = "⛔ Perintah ini hanya untuk admin."
REFUSED_BUTTON = "⛔ Hanya untuk admin."
UNKNOWN_BUTTON = "Tombol ini tidak dikenal atau sudah tidak berlaku."
UNKNOWN_SIGNAL = "Signal ini tidak dikenal."


def forge(fake: FakeBotApi, user_id: int, message_id: int, data: str, chat_id: int) -> None:
    """A callback query with any `data` on a message the bot sent."""
    fake.press(user_id, message_id, data, chat_id=chat_id, forged=True)


async def press_forged(bot: RunningBot, user_id: int, panel: dict[str, Any],
                       forged: list[str]) -> list[str | None]:  # fmt: skip
    """Each `forged` data pressed by `user_id` on the admin's `panel`, once all are handled:
    the answers, in order."""
    for data in forged:
        forge(bot.fake, user_id, panel["message_id"], data, chat_id=ADMIN)
    await bot.fake.wait_for_async(lambda: len(bot.fake.answers()) >= len(forged))
    await bot.ask(ADMIN, "/help")  # a barrier: the updates before it were handled
    return [a.get("text") for a in bot.fake.answers()]


@pytest_asyncio.fixture
async def bot(fake_bot_api: FakeBotApi, store: Store) -> AsyncIterator[RunningBot]:
    async with running_bot(fake_bot_api, store.url, owns_buttons=True) as running:
        yield running


async def test_a_stranger_cannot_close_cancel_or_read_admin_data_with_hostile_arguments(
    bot: RunningBot, store: Store
) -> None:
    signal_id = store.ids[0]
    commands = [f"/close {signal_id} win", f"/close {signal_id} win 1 {HOSTILE_TEXTS[0]}",
                f"/cancel {signal_id} {HOSTILE_TEXTS[3]}", "/close ../../etc/passwd win",
                "/signal_stats", "/open", "/feedback", "/upload_logs", "/admin",
                f"/stats {HOSTILE_TEXTS[4]}"]  # fmt: skip
    for command in commands:
        assert await bot.ask(STRANGER, command) == REFUSAL, command
    assert bot.app.tracking.get(signal_id).status is Status.ACTIVE
    store.assert_unchanged(skip=LOGGED)


async def test_forged_callback_queries_from_a_stranger_change_and_show_nothing(
    bot: RunningBot, store: Store
) -> None:
    await bot.ask(ADMIN, "/admin")
    panel = bot.fake.sent(ADMIN)[-1]
    buttons = [b["callback_data"] for row in panel["reply_markup"]["inline_keyboard"] for b in row]
    forged = [
        *buttons,
        "st:p:admin",
        "st:p:../../backup",
        "'; DROP TABLE signals; --",
        "<b>x</b>",
        "st:f:t:../../x",
        "st:f:x:" + store.ids[0],
        "st:" + "a" * 60,
        "",
    ]
    answers = await press_forged(bot, STRANGER, panel, forged)  # the stranger's account
    assert answers[: len(buttons)] == [REFUSED_BUTTON] * len(buttons)
    assert answers[len(buttons) :] == [  # every forged press answered: no button left spinning
        REFUSED_BUTTON, REFUSED_BUTTON, UNKNOWN_BUTTON, UNKNOWN_BUTTON,
        UNKNOWN_SIGNAL, UNKNOWN_SIGNAL, UNKNOWN_BUTTON,
        REFUSED_BUTTON,  # no data at all: python-telegram-bot hands it to the panel's handler
    ]  # fmt: skip

    assert bot.fake.edits() == []
    assert bot.fake.message(ADMIN, panel["message_id"])["text"] == panel["text"]
    assert len(bot.fake.sent(STRANGER)) == 0  # no admin data sent to the stranger
    store.assert_unchanged(skip=LOGGED)


async def test_an_admins_forged_or_stale_buttons_are_answered_and_change_nothing(
    bot: RunningBot, store: Store
) -> None:
    await bot.ask(ADMIN, "/admin")
    panel = bot.fake.sent(ADMIN)[-1]
    forged = ["st:p:zzz", "st:p:", "st:x", "'; DROP TABLE signals; --", "<b>x</b>", ""]
    answers = await press_forged(bot, ADMIN, panel, forged)  # data no button here carries

    assert answers == [UNKNOWN_BUTTON] * len(forged)
    assert bot.fake.edits() == []
    assert bot.fake.message(ADMIN, panel["message_id"])["text"] == panel["text"]
    store.assert_unchanged(skip=LOGGED)


async def test_inside_a_host_bot_only_sigtracks_own_forged_data_is_answered(
    fake_bot_api: FakeBotApi, store: Store
) -> None:
    """A host bot's own buttons are its business: sigtrack must not answer (or swallow) them."""
    async with running_bot(fake_bot_api, store.url) as host:
        await host.ask(ADMIN, "/admin")
        panel = host.fake.sent(ADMIN)[-1]
        forge(host.fake, ADMIN, panel["message_id"], "st:zzz", chat_id=ADMIN)
        forge(host.fake, ADMIN, panel["message_id"], "host:menu", chat_id=ADMIN)
        await host.fake.wait_for_async(lambda: len(host.fake.answers()) >= 1)
        await host.ask(ADMIN, "/help")  # a barrier: both queries were handled

        assert [a.get("text") for a in host.fake.answers()] == [UNKNOWN_BUTTON]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
async def test_sql_and_html_in_a_close_note_are_stored_verbatim_and_shown_escaped(
    bot: RunningBot, store: Store, text: str
) -> None:
    import html  # noqa: PLC0415

    signal_id = store.ids[0]
    reply = await bot.ask(ADMIN, f"/close {signal_id} win 1.5 {text}")

    assert reply.endswith("📝 " + html.escape(text, quote=False)), reply
    assert bot.app.tracking.events(signal_id)[-1].note == text
    assert set(store.before) == set(snapshot(store))
    assert store.rows("signals") == store.before["signals"][0]


@pytest.mark.parametrize("args", ["nan", "inf", "-1e999", "maybe", "win nan", "win " + "9" * 400])
async def test_an_admins_hostile_close_is_refused_and_closes_nothing(
    bot: RunningBot, store: Store, args: str
) -> None:
    reply = await bot.ask(ADMIN, f"/close {store.ids[0]} {args}")
    assert reply.startswith(("⚠️ Gagal: pnl_pct:", "Pakai: /close")), reply
    assert len(reply) < 1500
    store.assert_unchanged(skip=LOGGED)


async def test_the_token_never_appears_in_logs_or_replies_under_hostile_input(
    bot: RunningBot, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await bot.ask(STRANGER, "/close " + "x" * 5000 + " win")
        await bot.ask(ADMIN, f"/close {store.ids[0]} win nan")
        await bot.ask(ADMIN, "/stats " + HOSTILE_TEXTS[0])
        panel = bot.fake.sent(ADMIN)[-1]
        forge(bot.fake, STRANGER, panel["message_id"], "'; DROP TABLE signals; --", ADMIN)
        await bot.ask(ADMIN, "/help")  # a barrier: the forged query was handled

    assert caplog.records
    assert bot.fake.token not in caplog.text
    replies = [m["text"] for chat in (ADMIN, STRANGER) for m in bot.fake.sent(chat)]
    assert replies and all(bot.fake.token not in r for r in replies)
    store.assert_unchanged(skip=LOGGED)
