"""Sending like a well-behaved bot: every reply split under Telegram's limit, a 429 waited
out, network errors retried with backoff and then logged once, never dropped silently.

The rate limiter (PTB's AIORateLimiter, set up in `app.py`) keeps within Telegram's limits
and waits out a 429 itself; the loop here also waits one out when the bot has no limiter
(an operator's own Application).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter

from sigtrack.core.render.telegram_html import split_message

logger = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 4  # tries of one request over network errors
BACKOFF_S = 0.5  # the first retry waits this, then twice as long each time
MAX_RETRY_AFTER_S = 120.0  # a longer 429 wait is not waited out in line


class DeliveryFailed(Exception):
    """A message could not be delivered after every attempt (already logged)."""


async def with_retries(
    what: str, call: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS,
    backoff_s: float = BACKOFF_S,
) -> T:  # fmt: skip
    """`call()`, retried over network errors and 429s; a refusal (400) is not retried."""
    failures = 0
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22.2+: int or timedelta, by PTB_TIMEDELTA
                warnings.simplefilter("ignore")
                wait = _seconds(exc.retry_after)
            if wait > MAX_RETRY_AFTER_S:
                logger.error("%s: Telegram asks to wait %.0f s; giving up", what, wait)
                raise DeliveryFailed(what) from exc
            await asyncio.sleep(wait)
        except BadRequest:
            raise
        except NetworkError as exc:
            failures += 1
            if failures >= attempts:
                logger.error("%s failed after %d attempts: %s", what, failures, exc)
                raise DeliveryFailed(what) from exc
            await asyncio.sleep(backoff_s * 2 ** (failures - 1))


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


async def send_html(
    bot: Bot,
    chat_id: int | str,
    html: str,
    *,
    thread_id: int | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Send `html` as one or more messages (split under 4,096); the keyboard goes on the
    last one."""
    parts = split_message(html)
    sent: list[Message] = []
    for number, part in enumerate(parts, start=1):
        markup = reply_markup if number == len(parts) else None

        def call(
            part: str = part, markup: InlineKeyboardMarkup | None = markup
        ) -> Awaitable[Message]:
            return bot.send_message(chat_id, part, parse_mode=ParseMode.HTML,
                                    message_thread_id=thread_id, reply_markup=markup)  # fmt: skip

        sent.append(await with_retries(f"sendMessage to {chat_id} ({number}/{len(parts)})", call))
    return sent


async def edit_html(
    message: Message, html: str, *, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace a message's text (the admin panel); unchanged text is not an error."""
    try:
        await with_retries(
            f"editMessageText in {message.chat_id}",
            lambda: message.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=reply_markup),
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
