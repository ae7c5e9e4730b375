"""The commands and buttons: each parses its arguments, calls a service, renders the
service's value (core/render/bot.py) and replies. One `authorized` wrapper checks every
command and every admin button; no handler computes a number."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import ContextTypes

from sigtrack.adapters.telegram.context import Access, BotServices
from sigtrack.adapters.telegram.sender import DeliveryFailed, send_html
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.errors import (
    InvalidInput,
    SignalAlreadyClosed,
    SignalNotFound,
    SigtrackError,
)
from sigtrack.core.render import bot as render
from sigtrack.core.render.telegram_html import escape
from sigtrack.core.signals import MANUAL_RESULTS
from sigtrack.core.texts import text

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")
H = TypeVar("H", bound="BotHandlers")
Handler = Callable[[H, Update, Context], Coroutine[Any, Any, None]]
MAX_DAYS = 365
CLOSE_RESULTS = tuple(r.value.lower() for r in MANUAL_RESULTS)


class Usage(Exception):
    """The arguments do not fit the command: reply with its usage line."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def authorized(command: str) -> Callable[[Handler[H]], Handler[H]]:
    """The one access check: the sender must be allowed `command` (Access.allows). A refused
    command gets one short reply; a refused button press is answered and changes nothing.
    Every command is logged as activity (what /signal_stats counts)."""

    def wrap(handler: Handler[H]) -> Handler[H]:
        @functools.wraps(handler)
        async def checked(self: H, update: Update, context: Context) -> None:
            user = update.effective_user
            user_id = user.id if user else None
            if update.message is not None:
                await self.log_command(update, command)
            if not self.access.allows(user_id, command):
                if update.callback_query is not None:
                    await update.callback_query.answer(self.t("bot.button_refused"))
                else:
                    await self.reply(update, escape(self.t("bot.refused")))
                return
            await self.answering(update, handler(self, update, context))

        return checked

    return wrap


class BotHandlers:
    """The bot's commands, bound to the services and the access rules."""

    def __init__(self, services: BotServices, access: Access) -> None:
        self.services = services
        self.access = access

    # --- helpers ------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return text(key, self.services.lang, **values)

    async def call(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A service call, off the event loop (the store is synchronous)."""
        return await asyncio.to_thread(work, *args, **kwargs)

    async def reply(self, update: Update, html: str) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        message = update.effective_message
        thread = message.message_thread_id if message and message.is_topic_message else None
        await send_html(chat.get_bot(), chat.id, html, thread_id=thread)

    async def log_command(self, update: Update, command: str) -> None:
        user = update.effective_user
        if user is None:
            return
        try:
            await self.call(
                self.services.tracking.track_command, user_id=user.id, username=user.username,
                command=f"/{command}", now=self.services.clock(),
            )  # fmt: skip
        except SigtrackError as exc:  # the answer matters more than the log line
            logger.warning("could not log /%s of user %s: %s", command, user.id, exc)

    async def answering(self, update: Update, work: Awaitable[None]) -> None:
        """Run a handler; what goes wrong becomes a short reply, never silence."""
        try:
            await work
        except Usage as usage:
            await self.reply(update, escape(self.t(usage.key, **usage.values)))
        except SignalNotFound as exc:
            await self.reply(update, render.line("bot.not_found", self.services.lang,
                                                 signal_id=exc.signal_id))  # fmt: skip
        except InvalidInput as exc:
            await self.reply(update, render.line("bot.error", self.services.lang,
                                                 reason=f"{exc.field}: {exc.reason}"))  # fmt: skip
        except DeliveryFailed:
            pass  # logged by the sender
        except SigtrackError as exc:
            logger.error("bot command failed: %s", exc)
            await self.reply(update, escape(self.t("bot.unavailable")))

    # --- the commands -------------------------------------------------------------------

    @authorized("winrate")
    async def winrate(self, update: Update, context: Context) -> None:
        days = _days(context.args, default=7, usage="bot.usage.winrate")
        s = self.services
        summary = await self.call(s.tracking.winrate, days, now=s.clock())
        await self.reply(update, render.winrate_html(summary, s.zone, s.lang))

    @authorized("signal_stats")
    async def signal_stats(self, update: Update, context: Context) -> None:
        s = self.services
        status = await self.call(s.status.status, now=s.clock())
        await self.reply(update, render.status_html(status, s.zone, s.lang))

    @authorized("weekly_report")
    async def weekly_report(self, update: Update, context: Context) -> None:
        args = context.args or []
        if len(args) > 1:
            raise Usage("bot.usage.weekly_report")
        s = self.services
        try:
            report = await self.call(s.analysis.weekly, args[0] if args else None, now=s.clock())
        except InvalidInput:
            raise Usage("bot.usage.weekly_report") from None
        await self.reply(update, render.weekly_html(report, s.lang))

    @authorized("stats")
    async def stats(self, update: Update, context: Context) -> None:
        args = context.args or []
        keys = "|".join(k.value for k in BreakdownKey)
        if not 1 <= len(args) <= 2 or args[0].lower() not in {k.value for k in BreakdownKey}:
            raise Usage("bot.usage.stats", keys=keys)
        days = _days(args[1:], default=30, usage="bot.usage.stats", keys=keys)
        await self.reply(update, await self.breakdown(args[0].lower(), days))

    async def breakdown(self, by: str, days: int) -> str:
        s = self.services
        since, until = s.analysis.window(now=s.clock(), days=days)
        result = await self.call(s.analysis.stats, by, since=since, until=until)
        return render.breakdown_html(result, s.lang, since, until, s.zone)

    @authorized("open")
    async def open(self, update: Update, context: Context) -> None:
        s = self.services
        found = await self.call(s.status.open_signals, now=s.clock())
        await self.reply(update, render.open_html(found, s.lang))

    @authorized("close")
    async def close(self, update: Update, context: Context) -> None:
        args = list(context.args or [])
        override = bool(args) and args[-1].lower() == "override"
        if override:
            args.pop()
        if len(args) < 2 or args[1].lower() not in CLOSE_RESULTS:
            raise Usage("bot.usage.close")
        signal_id, result, rest = args[0], args[1].lower(), args[2:]
        pnl = _pnl(rest[0]) if rest else None
        if pnl is not None:
            rest = rest[1:]
        actor, note = _actor(update), " ".join(rest) or None
        s = self.services
        try:
            record = await self.call(
                s.tracking.close, signal_id, result=result, pnl_pct=pnl, actor=actor,
                note=note, override=override, now=s.clock(),
            )  # fmt: skip
        except SignalAlreadyClosed as exc:
            await self.reply(update, render.line(
                "bot.already_closed", s.lang, signal_id=exc.signal_id, result=exc.result,
                suggested=result,
            ))  # fmt: skip
            return
        await self.reply(update, render.closed_html(record, actor, s.lang, note))

    @authorized("cancel")
    async def cancel(self, update: Update, context: Context) -> None:
        args = context.args or []
        if not args:
            raise Usage("bot.usage.cancel")
        actor, note = _actor(update), " ".join(args[1:]) or None
        s = self.services
        try:
            record = await self.call(s.tracking.cancel, args[0], actor=actor, note=note,
                                     now=s.clock())  # fmt: skip
        except SignalAlreadyClosed as exc:
            await self.reply(update, render.line(
                "bot.already_closed", s.lang, signal_id=exc.signal_id, result=exc.result,
                suggested="breakeven",
            ))  # fmt: skip
            return
        await self.reply(update, render.closed_html(record, actor, s.lang, note))

    @authorized("feedback")
    async def feedback(self, update: Update, context: Context) -> None:
        days = _days(context.args, default=30, usage="bot.usage.feedback")
        s = self.services
        summary = await self.call(s.feedback.summary, days, now=s.clock())
        await self.reply(update, render.feedback_html(summary, s.lang))

    @authorized("upload_logs")
    async def upload_logs(self, update: Update, context: Context) -> None:
        await self.reply(update, await self.backup_now())

    async def backup_now(self) -> str:
        """Back up now to the configured targets and say where it went and whether it
        verified (the old /upload_logs, and the panel's button)."""
        s = self.services
        if s.backup_now is None:
            return escape(self.t("bot.backup.none"))
        report = await self.call(s.backup_now, s.clock())
        return render.backup_html(report.backup_id, report.targets, s.lang)

    @authorized("help")
    async def help(self, update: Update, context: Context) -> None:
        user = update.effective_user
        allowed = self.access.commands_for(user.id if user else None)
        await self.reply(update, render.help_html(allowed, self.services.lang))


def _days(args: Sequence[str] | None, *, default: int, usage: str, **values: object) -> int:
    """The optional [days] argument: a whole number from 1 to 365."""
    if not args:
        return default
    if len(args) > 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= MAX_DAYS:
        raise Usage(usage, **values)
    return int(args[0])


def _pnl(value: str) -> float | None:
    """`2.5`, `-1.2%` or `+3%` as a PnL in percent; anything else is not a PnL (a note)."""
    try:
        return float(value.removesuffix("%").replace(",", "."))
    except ValueError:
        return None


def _actor(update: Update) -> str:
    """Who closed it, as the record keeps it: the admin's Telegram id (and name)."""
    user = update.effective_user
    if user is None:
        return "telegram"
    return f"telegram:{user.id}" + (f" @{user.username}" if user.username else "")
