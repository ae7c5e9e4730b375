"""The bot as a python-telegram-bot `Application`: its handlers added to an operator's own
Application (`register_handlers`), or a stand-alone one (`build_application`,
`run_polling`) that also runs the settling monitor and the announcements."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
)

from sigtrack.adapters.telegram.announcer import Announcer
from sigtrack.adapters.telegram.buttons import FEEDBACK, PANEL, PanelHandlers
from sigtrack.adapters.telegram.context import COMMANDS, Access, BotServices
from sigtrack.adapters.telegram.notifier import api_urls
from sigtrack.core.texts import text

logger = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Monitor = Callable[[threading.Event], object]  # runs settling passes until the event is set


class Ticker(Protocol):
    """What fires the automatic jobs (adapters/jobs.Ticker): started and stopped here."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class TokenMasking(logging.Formatter):
    """A handler's formatter with the bot token replaced in the whole formatted record,
    traceback included (PTB puts the token in URLs and in InvalidToken's message)."""

    def __init__(self, inner: logging.Formatter | None, token: str) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        return self._inner.format(record).replace(self._token, "<token>")


def mask_token_in_logs(token: str) -> None:
    """Every handler of the root logger masks `token`; httpx's request lines stay out."""
    quiet_http_logs()
    for handler in logging.getLogger().handlers:
        if not isinstance(handler.formatter, TokenMasking):
            handler.setFormatter(TokenMasking(handler.formatter, token))


async def log_error(update: object, context: Any) -> None:
    """The stand-alone bot's error handler: one log line for what no handler caught."""
    logger.error("update %s failed: %s", getattr(update, "update_id", "-"), context.error,
                 exc_info=context.error)  # fmt: skip


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and Telegram's URLs hold the token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def build_application(token: str, *, base_url: str = "") -> AnyApplication:
    """A stand-alone Application with PTB's rate limiter; `base_url` is the root of a
    self-hosted Bot API server (`/bot<token>/<method>` is added as for the public one)."""
    builder = Application.builder().token(token).rate_limiter(AIORateLimiter(max_retries=3))
    urls = api_urls(base_url)
    if urls:
        builder = builder.base_url(urls["base_url"]).base_file_url(urls["base_file_url"])
    # One update after another: a user's two taps are stored in the order they were made
    # (the store calls run in threads, so the event loop itself never waits on them).
    return builder.concurrent_updates(False).build()


@dataclass(slots=True)
class Background:
    """The work beside the handlers: the announcements task and the monitor thread,
    started with the Application and stopped with it (the current pass finishes)."""

    announcer: Announcer | None = None
    monitor: Monitor | None = None
    ticker: Ticker | None = None  # the automatic jobs (adapters/jobs)
    replayer: Monitor | None = None  # applies the journal when the store answers again
    _stop: asyncio.Event | None = None
    _task: asyncio.Task[None] | None = None
    _monitor_stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    async def start(self, application: AnyApplication) -> None:
        if self.announcer is not None:
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self.announcer.run(application.bot, self._stop))
        for name, loop in (("monitor", self.monitor), ("journal", self.replayer)):
            if loop is not None:
                thread = threading.Thread(target=loop, args=(self._monitor_stop,),
                                          name=f"sigtrack-{name}", daemon=True)  # fmt: skip
                thread.start()
                self._threads.append(thread)
        if self.ticker is not None:
            self.ticker.start()

    async def stop(self, application: AnyApplication) -> None:
        self._monitor_stop.set()
        if self.ticker is not None:
            await asyncio.to_thread(self.ticker.stop)
        if self._stop is not None and self._task is not None:
            self._stop.set()
            await self._task
        for thread in self._threads:
            await asyncio.to_thread(thread.join)


def _chain(
    application: AnyApplication,
    hook: str,
    extra: Callable[[AnyApplication], Awaitable[None]],
) -> None:
    before = getattr(application, hook)

    async def chained(app: AnyApplication) -> None:
        if before is not None:
            await before(app)
        await extra(app)

    setattr(application, hook, chained)


def register_handlers(
    application: AnyApplication,
    services: BotServices,
    access: Access,
    *,
    background: Background | None = None,
    group: int = 0,
    publish_menu: bool = False,
    owns_buttons: bool = False,
) -> PanelHandlers:
    """Add every command, the admin panel's buttons and the feedback buttons to
    `application`; start and stop `background` with it; with `publish_menu`, set the
    bot's command menu when it starts, and with `owns_buttons` answer every button press
    no handler took (a stand-alone bot owns its menu and its buttons; in a host bot only
    sigtrack's own `st:` data is answered)."""
    quiet_http_logs()
    handlers = PanelHandlers(services, access)
    added: list[BaseHandler[Update, Any, Any]] = [
        CommandHandler(name, getattr(handlers, name)) for name in COMMANDS
    ]
    added.append(CallbackQueryHandler(handlers.panel, pattern=f"^{PANEL}"))
    added.append(CallbackQueryHandler(handlers.feedback_pressed, pattern=f"^{FEEDBACK}"))
    # other data in sigtrack's namespace (forged, or an older version's button): answered
    added.append(CallbackQueryHandler(handlers.unknown_button, pattern="^st:"))
    if owns_buttons:  # a stand-alone bot answers any other button too; a host bot's are its own
        added.append(CallbackQueryHandler(handlers.unknown_button))
    application.add_handlers(added, group=group)
    if background is not None:
        _chain(application, "post_init", background.start)
        _chain(application, "post_stop", background.stop)
    if publish_menu:

        async def menu(app: AnyApplication) -> None:
            await publish_commands(app, access, services)

        _chain(application, "post_init", menu)
    return handlers


async def publish_commands(
    application: AnyApplication, access: Access, services: BotServices
) -> None:
    """The command menu: everyone's commands for all chats, every command for each admin."""
    lang = services.lang

    def menu(names: list[str]) -> list[BotCommand]:
        return [BotCommand(n, text(f"bot.help.{n}", lang).split(" — ", 1)[-1][:256]) for n in names]

    try:
        await application.bot.set_my_commands(menu(access.commands_for(None)))
        for admin in sorted(access.admin_ids):
            await application.bot.set_my_commands(
                menu(access.commands_for(admin)), scope=BotCommandScopeChat(admin)
            )
    except TelegramError as exc:  # an admin who never opened the bot: the menu is a nicety
        logger.warning("could not publish the command menu: %s", exc)


def run_polling(application: AnyApplication) -> None:
    """Run until SIGINT / SIGTERM; handlers finish, the background stops cleanly."""
    application.run_polling(
        allowed_updates=Update.ALL_TYPES,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
    )


async def start_embedded(application: AnyApplication) -> None:
    """Start the bot inside an asyncio program that owns the loop and the signals (the
    API server of `sigtrack serve`), in `run_polling`'s order: initialize, post_init
    (the background, the menu), polling, start."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    if application.updater is not None:
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
    await application.start()


async def stop_embedded(application: AnyApplication) -> None:
    """`start_embedded`'s reverse: polling stops, handlers finish, post_stop (the
    background: the current settling pass finishes), shutdown."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
