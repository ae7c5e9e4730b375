"""sigtrack in an existing python-telegram-bot bot (needs `pip install sigtrack[telegram]`).

>>> from sigtrack import Tracker
>>> from sigtrack.telegram import register, feedback_keyboard
>>> tracker = Tracker.from_env()
>>> register(application, tracker)            # /winrate, /signal_stats, /admin … and buttons
>>> signal_id = tracker.track(sig, receivers=receivers)
>>> await bot.send_message(user_id, text, reply_markup=feedback_keyboard(signal_id))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sigtrack.adapters.telegram import (
    Announcer,
    Background,
    feedback_keyboard,
    register_handlers,
)
from sigtrack.bootstrap import bot_access, bot_services, journal_loop, monitor_loop
from sigtrack.tracker import Tracker

__all__ = ["feedback_keyboard", "register"]


def register(
    application: Any,
    tracker: Tracker,
    *,
    announce: bool = True,
    monitor: bool = False,
    candles: Path | None = None,
    group: int = 0,
) -> Background:
    """Add sigtrack's commands, admin panel and feedback buttons to `application` (a PTB
    22 Application), answering from `tracker`'s store.

    With `announce` and SIGTRACK_ANNOUNCE_CHAT set, TP hits and closes are posted there
    while the application runs; the journal of writes made while the store did not answer
    is replayed in the background when it answers again. With `monitor`, the settling
    monitor runs beside it too (else run `sigtrack monitor` on its own). Admins come from
    ADMIN_IDS / ADMIN1…9.

    The announcements and the monitor start and stop with `run_polling()` /
    `run_webhook()` (PTB's post_init / post_stop). A bot that drives the Application's
    life itself (`async with application: … start()`) starts them with the returned
    value: `await background.start(application)` after `start()`, and
    `await background.stop(application)` before `stop()`.
    """
    app = tracker.app
    settings = app.settings
    services = bot_services(app)
    announcer = (
        Announcer(services=services, chat_id=settings.announce_chat,
                  thread_id=settings.announce_thread)
        if announce and settings.announce_chat
        else None
    )  # fmt: skip
    loop = monitor_loop(app, candles=candles) if monitor else None
    # the journal's replayer always: writes kept while the store was down reach it
    background = Background(announcer=announcer, monitor=loop, replayer=journal_loop(app))
    register_handlers(application, services, bot_access(settings), background=background,
                      group=group)  # fmt: skip
    return background
