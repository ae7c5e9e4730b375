"""Telling the admins from outside the bot's event loop: the weekly report and the jobs'
notices, sent by `sigtrack jobs run-due` (cron) or by a job thread beside the bot, through
the same rate-limited, retrying sender as every reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from sigtrack.adapters.telegram.sender import DeliveryFailed, send_html

logger = logging.getLogger(__name__)


def api_urls(base_url: str) -> dict[str, str]:
    """PTB's base URLs for a self-hosted Bot API root (empty: api.telegram.org)."""
    if not base_url:
        return {}
    root = base_url.rstrip("/")
    return {"base_url": f"{root}/bot", "base_file_url": f"{root}/file/bot"}


@dataclass(frozen=True, slots=True)
class Delivery:
    reached: tuple[int, ...]  # admins who got every part
    failed: tuple[str, ...]  # "admin id: why", for the others


class TelegramNotifier:
    def __init__(self, token: str, *, admin_ids: Collection[int], base_url: str = "") -> None:
        self._token = token
        self._admins = tuple(admin_ids)
        self._urls = api_urls(base_url)

    def send(self, html: str) -> Delivery:
        """Send `html` (split under the limit) to every admin; raises DeliveryFailed when
        none could be reached (a job then fails and is retried)."""
        if not self._admins:
            raise DeliveryFailed("no admins to tell (ADMIN_IDS or ADMIN1…ADMIN9)")
        delivery = asyncio.run(self._send(html))
        if not delivery.reached:
            raise DeliveryFailed("reached no admin: " + "; ".join(delivery.failed))
        for failure in delivery.failed:
            logger.error("could not tell admin %s", failure)
        return delivery

    async def _send(self, html: str) -> Delivery:
        limiter = AIORateLimiter(max_retries=3)
        if self._urls:
            bot = ExtBot(
                self._token,
                base_url=self._urls["base_url"],
                base_file_url=self._urls["base_file_url"],
                rate_limiter=limiter,
            )
        else:
            bot = ExtBot(self._token, rate_limiter=limiter)
        reached: list[int] = []
        failed: list[str] = []
        async with bot:
            for admin in self._admins:
                try:
                    await send_html(bot, admin, html)
                except (DeliveryFailed, TelegramError) as exc:
                    failed.append(f"{admin}: {type(exc).__name__}: {exc}".replace(
                        self._token, "<token>"))  # fmt: skip
                else:
                    reached.append(admin)
        return Delivery(reached=tuple(reached), failed=tuple(failed))
