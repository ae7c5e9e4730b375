"""`sigtrack bot`: the stand-alone Telegram bot, with the settling monitor and the
announcements beside it."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer

from sigtrack.bootstrap import bot_access, bot_services, jobs_service, journal_loop, monitor_loop
from sigtrack.cli.app import State, app, out, state
from sigtrack.cli.settle_cmd import CandlesOption
from sigtrack.core.errors import InvalidInput, SigtrackError

TOKEN_VARIABLE = "TELEGRAM_BOT_TOKEN"
_TOKEN_RE = re.compile(r"[0-9]{3,20}:[A-Za-z0-9_-]{20,100}")


class TelegramError(SigtrackError):
    """Telegram refused the bot or could not be reached (the token is never shown)."""


def bot_token() -> str:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise InvalidInput(TOKEN_VARIABLE, "must be set to the token @BotFather gave (not set)")
    if not _TOKEN_RE.fullmatch(token):
        # the value is a secret: say what is wrong with it, never what it is
        raise InvalidInput(
            TOKEN_VARIABLE, f"does not look like a bot token (digits:letters, {len(token)} chars)"
        )
    return token


@app.command()
def bot(
    ctx: typer.Context,
    no_monitor: Annotated[
        bool,
        typer.Option("--no-monitor", help="Answer commands only: no settling, no announcements."),
    ] = False,
    candles: CandlesOption = None,
    no_jobs: Annotated[
        bool,
        typer.Option(
            "--no-jobs",
            help="Leave the weekly report and the backup to cron (sigtrack jobs run-due).",
        ),
    ] = False,
) -> None:
    """Run the Telegram bot (TELEGRAM_BOT_TOKEN) until SIGINT / SIGTERM: the commands, the
    admin panel, the feedback buttons, the settling monitor, the announcements and the
    automatic jobs (the weekly report, the backup)."""
    token = bot_token()
    telegram = _telegram_adapter()
    from telegram.error import InvalidToken, NetworkError  # noqa: PLC0415

    log_without_token(token)
    built = build_bot(state(ctx), token, monitor=not no_monitor, jobs=not no_jobs,
                      candles=candles)  # fmt: skip
    out.print(f"bot: polling {built.summary} (Ctrl-C or SIGTERM stops)", markup=False)
    try:
        telegram.run_polling(built.application)
    except InvalidToken:
        raise TelegramError(f"Telegram refused the bot token ({TOKEN_VARIABLE})") from None
    except NetworkError as exc:
        reason = str(exc).replace(token, "<token>")
        raise TelegramError(f"cannot reach the Telegram Bot API: {reason}") from None
    out.print("bot: stopped", markup=False)


@dataclass(frozen=True, slots=True)
class BuiltBot:
    application: Any  # a PTB Application, its background chained to post_init / post_stop
    summary: str  # what runs, for the start-up line


def _telegram_adapter() -> ModuleType:
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # this process reads durations as timedelta
    try:
        from sigtrack.adapters import telegram  # noqa: PLC0415 — the telegram extra
    except ImportError:
        raise InvalidInput(
            "telegram", "needs python-telegram-bot: pip install 'sigtrack[telegram]'"
        ) from None
    return telegram


def build_bot(
    st: State, token: str, *, monitor: bool, jobs: bool, candles: Path | None
) -> BuiltBot:
    """The stand-alone bot's Application with its handlers and, started and stopped with
    it, the settling monitor with the announcements and the jobs' ticker (`sigtrack bot`,
    `sigtrack serve`)."""
    telegram = _telegram_adapter()
    settings, services = st.settings, bot_services(st.app)
    access = bot_access(settings)
    if not access.admin_ids:
        logging.getLogger(__name__).warning(
            "no admins set (ADMIN_IDS or ADMIN1…ADMIN9): only /help%s will answer",
            " and /winrate" if access.public_winrate else "",
        )
    announcer = None
    if settings.announce_chat and monitor:
        announcer = telegram.Announcer(services=services, chat_id=settings.announce_chat,
                                       thread_id=settings.announce_thread)  # fmt: skip
    loop = monitor_loop(st.app, candles=candles) if monitor else None
    ticker = None
    if jobs:
        from sigtrack.adapters.jobs import Ticker  # noqa: PLC0415

        notifier = telegram.TelegramNotifier(token, admin_ids=settings.admin_ids,
                                             base_url=settings.telegram_base_url)  # fmt: skip
        service = jobs_service(st.app, send=notifier.send)
        ticker = Ticker(lambda now: service.run_due(now=now))
    application = telegram.build_application(token, base_url=settings.telegram_base_url)
    background = telegram.Background(announcer=announcer, monitor=loop, ticker=ticker,
                                     replayer=journal_loop(st.app))  # fmt: skip
    telegram.register_handlers(application, services, access, background=background,
                               publish_menu=True, owns_buttons=True)  # fmt: skip
    application.add_error_handler(telegram.log_error)
    summary = (
        f"{settings.telegram_base_url or 'api.telegram.org'}; "
        f"monitor {'off' if loop is None else 'on'}, announcements "
        f"{'to ' + settings.announce_chat if announcer else 'off'}, jobs "
        f"{'off' if ticker is None else 'on'}"
    )
    return BuiltBot(application=application, summary=summary)


def log_without_token(token: str) -> None:
    """Log what the bot does at INFO, the token masked in every line."""
    from sigtrack.adapters.telegram import mask_token_in_logs  # noqa: PLC0415

    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO) or logging.INFO)
    mask_token_in_logs(token)
