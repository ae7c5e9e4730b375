"""Telegram (python-telegram-bot 22): the commands, the admin panel, the announcements and
the receivers' feedback buttons. Handlers call the services; core/render/bot.py writes the
messages."""

from sigtrack.adapters.telegram.announcer import Announcer
from sigtrack.adapters.telegram.app import (
    Background,
    build_application,
    log_error,
    mask_token_in_logs,
    publish_commands,
    quiet_http_logs,
    register_handlers,
    run_polling,
    start_embedded,
    stop_embedded,
)
from sigtrack.adapters.telegram.buttons import feedback_keyboard
from sigtrack.adapters.telegram.context import Access, BotServices
from sigtrack.adapters.telegram.notifier import Delivery, TelegramNotifier

__all__ = [
    "Access", "Announcer", "Background", "BotServices", "Delivery", "TelegramNotifier",
    "build_application",
    "feedback_keyboard", "log_error", "mask_token_in_logs", "publish_commands",
    "quiet_http_logs", "register_handlers", "run_polling", "start_embedded", "stop_embedded",
]  # fmt: skip
