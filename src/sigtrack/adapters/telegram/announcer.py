"""Posting the outbox: TP hits and closes claimed from the store, sent to the configured
chat (and forum topic), then marked. See services/announcements.py for the promise."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.error import TelegramError

from sigtrack.adapters.telegram.context import BotServices
from sigtrack.adapters.telegram.sender import DeliveryFailed, send_html
from sigtrack.core.errors import SigtrackError
from sigtrack.core.render.bot import announcement_html

logger = logging.getLogger(__name__)

EVERY_S = 2.0  # how often the outbox is looked at


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcer:
    services: BotServices
    chat_id: int | str
    thread_id: int | None = None

    async def run_once(self, bot: Bot) -> int:
        """Claim what is due, post each, mark each; returns the posts sent."""
        s = self.services
        claimed = await asyncio.to_thread(s.announcements.claim, now=s.clock())
        sent = 0
        for item in claimed:
            error: str | None = None
            try:
                await send_html(bot, self.chat_id, announcement_html(item, s.lang),
                                thread_id=self.thread_id)  # fmt: skip
            except DeliveryFailed as exc:
                error = f"not delivered: {exc}"
            except TelegramError as exc:  # refused (chat not found, bot not a member …)
                error = f"{type(exc).__name__}: {exc}"
                logger.error("announcement %d refused by Telegram: %s", item.outbox_id, error)
            else:
                sent += 1
            await asyncio.to_thread(s.announcements.finish, item, now=s.clock(), error=error)
        return sent

    async def run(self, bot: Bot, stop: asyncio.Event, *, every_s: float = EVERY_S) -> None:
        """Post the outbox until `stop` is set; a failing round is logged and retried."""
        while not stop.is_set():
            try:
                await self.run_once(bot)
            except SigtrackError as exc:
                logger.error("announcements: the store could not be read: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every_s)
