"""The inline buttons: the admin panel (/admin → Signal Tracking → …, each answer edits the
panel in place with a Back button) and the receivers' feedback keyboard.

Callback data: `st:p:<view>` for the panel, `st:f:<t|s>:<signal_id>` for feedback; both
stay within Telegram's 64 bytes (checked where they are made).
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update

from sigtrack.adapters.telegram.handlers import BotHandlers, Context, authorized
from sigtrack.adapters.telegram.sender import edit_html, send_html
from sigtrack.core.bot_records import FeedbackAnswer
from sigtrack.core.errors import InvalidInput, SignalNotFound
from sigtrack.core.render import bot as render
from sigtrack.core.render.telegram_html import escape, split_message
from sigtrack.core.texts import Lang, text

logger = logging.getLogger(__name__)

PANEL = "st:p:"
FEEDBACK = "st:f:"
MAX_DATA = 64  # bytes of callback data Telegram accepts
_ANSWERS = {"t": FeedbackAnswer.TOOK, "s": FeedbackAnswer.SKIPPED}
_CODES = {answer: code for code, answer in _ANSWERS.items()}
# The panel's views under Signal Tracking: (callback view, label key)
TRACKING = (("w7", "bot.panel.winrate7"), ("w30", "bot.panel.winrate30"),
            ("week", "bot.panel.weekly"), ("open", "bot.panel.open"),
            ("coin", "bot.panel.coins"))  # fmt: skip
VIEWS = frozenset({"home", "track", "backup", *(view for view, _ in TRACKING)})


def _data(value: str) -> str:
    if len(value.encode()) > MAX_DATA:
        raise InvalidInput("callback_data", f"must be at most {MAX_DATA} bytes (got {value!r})")
    return value


def feedback_keyboard(signal_id: str, lang: Lang | str = Lang.ID) -> InlineKeyboardMarkup:
    """The "took it" / "skipped" buttons to attach to a broadcast of `signal_id`."""
    lang = Lang(lang)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(text(f"bot.feedback.{answer.value}", lang),
                             callback_data=_data(f"{FEEDBACK}{code}:{signal_id}"))
        for answer, code in _CODES.items()
    ]])  # fmt: skip


class PanelHandlers(BotHandlers):
    """The commands plus the buttons, one object for `register` to add."""

    def _button(self, view: str, key: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(self.t(key), callback_data=_data(PANEL + view))

    def home_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[self._button("track", "bot.panel.tracking")],
                                     [self._button("backup", "bot.panel.backup")]])  # fmt: skip

    def tracking_markup(self) -> InlineKeyboardMarkup:
        rows = [[self._button(view, key)] for view, key in TRACKING]
        return InlineKeyboardMarkup([*rows, [self._button("home", "bot.panel.back")]])

    def back_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[self._button("track", "bot.panel.back")]])

    @authorized("admin")
    async def admin(self, update: Update, context: Context) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        title = f"<b>{escape(self.t('bot.panel.title'))}</b>"
        await send_html(chat.get_bot(), chat.id, title, reply_markup=self.home_markup())

    @authorized("admin")
    async def panel(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.message is None or not isinstance(query.data, str):
            return
        view = query.data.removeprefix(PANEL)
        if view not in VIEWS:  # forged or from an older version: answered, nothing shown
            await query.answer(self.t("bot.button_unknown"))
            return
        await query.answer()
        if view == "home":
            html, markup = f"<b>{escape(self.t('bot.panel.title'))}</b>", self.home_markup()
        elif view == "track":
            html = f"<b>{escape(self.t('bot.panel.tracking_title'))}</b>"
            markup = self.tracking_markup()
        elif view == "backup":
            html = await self.panel_answer(view)
            markup = InlineKeyboardMarkup([[self._button("home", "bot.panel.back")]])
        else:
            html, markup = await self.panel_answer(view), self.back_markup()
        message = query.message
        if hasattr(message, "edit_text"):
            await edit_html(message, html, reply_markup=markup)  # type: ignore[arg-type]

    async def panel_answer(self, view: str) -> str:
        """The answer a Signal Tracking button shows, cut to one message (an edit cannot
        be split; the command gives the whole text)."""
        s = self.services
        now = s.clock()
        if view in ("w7", "w30"):
            summary = await self.call(s.tracking.winrate, 7 if view == "w7" else 30, now=now)
            html = render.winrate_html(summary, s.zone, s.lang)
        elif view == "week":
            html = render.weekly_html(await self.call(s.analysis.weekly, None, now=now), s.lang)
        elif view == "open":
            html = render.open_html(await self.call(s.status.open_signals, now=now), s.lang)
        elif view == "coin":
            html = await self.breakdown("symbol", 30)
        elif view == "backup":
            html = await self.backup_now()
        else:
            raise InvalidInput("callback_data", f"not a panel view (got {view!r})")
        more = "\n" + escape(self.t("bot.panel.more"))
        parts = split_message(html, limit=4096 - len(more) - 64)
        return parts[0] + (more if len(parts) > 1 else "")

    async def unknown_button(self, update: Update, context: Context) -> None:
        """Any other callback data (forged, or a button of an older version): answered, so
        that the client stops waiting, and nothing else; it reveals nothing to anyone."""
        if update.callback_query is not None:
            await update.callback_query.answer(self.t("bot.button_unknown"))

    async def feedback_pressed(self, update: Update, context: Context) -> None:
        """A receiver's tap on a feedback button: anyone who got the broadcast may answer."""
        query = update.callback_query
        if query is None or not isinstance(query.data, str) or query.from_user is None:
            return
        await self.answer_feedback(query, query.data.removeprefix(FEEDBACK))

    async def answer_feedback(self, query: CallbackQuery, payload: str) -> None:
        code, _, signal_id = payload.partition(":")
        answer = _ANSWERS.get(code)
        s = self.services
        if answer is None or not signal_id:
            await query.answer(self.t("bot.feedback.unknown"))
            return
        try:
            previous = await self.call(s.feedback.answer, signal_id, query.from_user.id, answer,
                                       now=s.clock())  # fmt: skip
        except (SignalNotFound, InvalidInput):
            await query.answer(self.t("bot.feedback.unknown"))
            return
        await query.answer(render.feedback_saved_text(answer, previous, s.lang))
