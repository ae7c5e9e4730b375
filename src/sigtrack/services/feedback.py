"""Receivers' feedback: each receiver of a signal answers "took it" or "skipped" once
(a second tap changes the answer), and the numbers of taken vs skipped signals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sigtrack.core.bot_records import (
    FeedbackAnswer,
    FeedbackSummary,
    parse_answer,
    summarize_feedback,
)
from sigtrack.core.errors import InvalidInput
from sigtrack.core.signals import check_signal_id
from sigtrack.core.stats import cohort_start
from sigtrack.services.ports import SignalStore


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackService:
    store: SignalStore
    zone: tzinfo

    def answer(
        self, signal_id: str, user_id: int, answer: FeedbackAnswer | str, *, now: datetime
    ) -> FeedbackAnswer | None:
        """Store `user_id`'s answer to the signal; returns the answer it replaced (None:
        the first). Raises SignalNotFound for an unknown id."""
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise InvalidInput("user_id", f"must be a Telegram user id (got {user_id!r})")
        return self.store.save_feedback(
            check_signal_id(signal_id), user_id, parse_answer(answer), now=now
        )

    def summary(self, days: int = 30, *, now: datetime) -> FeedbackSummary:
        """The answers to the signals created in the last `days` days (display zone)."""
        since = cohort_start(now, days, self.zone).astimezone(UTC)
        counts = self.store.feedback_counts(since, now)
        return summarize_feedback(counts, days=days, since=since, until=now)
