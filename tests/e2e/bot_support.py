"""A sigtrack bot in the test's event loop: the real PTB Application, polling the loopback
fake Bot API (tests/telegram_fake.py), answering from a real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from factories import settings_for
from sigtrack.adapters.telegram import Announcer, build_application, register_handlers
from sigtrack.adapters.telegram.context import BotServices
from sigtrack.bootstrap import App, bot_access, bot_services, build_app
from telegram_fake import FakeBotApi

ADMIN, OTHER_ADMIN, STRANGER = 1001, 1002, 2002
NOW = datetime(2026, 1, 8, 6, 0, tzinfo=UTC)  # 13:00 in Jakarta, a Thursday
T0_MS = 1767841200_000  # 2026-01-08 10:00 in Jakarta (03:00 UTC)
MINUTE_MS = 60_000


class Clock:
    """The bot's clock, moved by the test."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class RunningBot:
    fake: FakeBotApi
    app: App
    services: BotServices
    clock: Clock
    application: Any

    async def ask(self, user_id: int, message: str, *, parts: int = 1) -> str:
        """Send `message` as `user_id` and return the bot's reply (its parts joined)."""
        before = len(self.fake.sent(user_id))
        self.fake.send_text(user_id, message)
        sent = await asyncio.to_thread(self.fake.wait_sent, user_id, before + parts)
        return "\n".join(m["text"] for m in sent[before:])

    async def press(self, user_id: int, message_id: int, data: str) -> None:
        self.fake.press(user_id, message_id, data)

    def announcer(self, chat: int | str, thread: int | None = None) -> Announcer:
        return Announcer(services=self.services, chat_id=chat, thread_id=thread)


def write_candles(path: Path, rows: list[tuple[int, float, float, float, float]]) -> Path:
    """A candle CSV from (minute after 10:00 Jakarta, open, high, low, close)."""
    lines = [f"{T0_MS + n * MINUTE_MS},{o},{h},{lo},{c}" for n, o, h, lo, c in rows]
    path.write_text("timestamp,open,high,low,close\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@asynccontextmanager
async def running_bot(
    fake: FakeBotApi,
    db_url: str,
    *,
    clock: Clock | None = None,
    owns_buttons: bool = False,
    **settings: Any,
) -> AsyncIterator[RunningBot]:
    """The bot polling `fake`, with ADMIN and OTHER_ADMIN as admins, until the block ends
    (`owns_buttons`: as `sigtrack bot` registers it; else as inside a host bot)."""
    clock = clock or Clock()
    config = settings_for(db_url, **settings)
    config = replace(config, admin_ids=(ADMIN, OTHER_ADMIN))
    app = build_app(config)
    services = replace(bot_services(app), clock=clock)
    application = build_application(fake.token, base_url=fake.url)
    register_handlers(application, services, bot_access(config), owns_buttons=owns_buttons)
    try:
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                yield RunningBot(fake, app, services, clock, application)
            finally:
                await application.updater.stop()
                await application.stop()
    finally:
        app.store.dispose()
