"""Posting TP hits and closes: the outbox the settling pass fills, claimed and marked.

"Exactly once per signal and event" is the store's: a pass queues each TP hit and close in
the transaction that stores it, a claim goes to one process, and a row is marked sent after
Telegram took it. Telegram has no idempotency key, so a process that dies between sending
and marking leaves its claim open: after the lease the row is claimed again and sent once
more, and that is reported here (the post may arrive twice).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sigtrack.core.bot_records import Announcement, OutboxState
from sigtrack.services.ports import SignalStore

logger = logging.getLogger(__name__)

LEASE_S = 300.0  # a claim not marked within this is taken for a dead process's
MAX_AGE_S = 86_400.0  # a TP hit or close older than this when its turn comes is not news
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnouncementService:
    store: SignalStore
    lease_s: float = LEASE_S
    max_age_s: float = MAX_AGE_S
    max_attempts: int = MAX_ATTEMPTS

    def claim(self, *, now: datetime, limit: int = 20) -> list[Announcement]:
        """The next announcements to post, claimed for this process, oldest first."""
        claimed = self.store.claim_announcements(
            now=now, limit=limit, lease_s=self.lease_s, max_age_s=self.max_age_s
        )
        for item in claimed:
            if item.reclaimed:
                logger.warning(
                    "announcement %d (%s of %s) was claimed by a process that stopped before "
                    "marking it sent: sending it again, so it may arrive twice",
                    item.outbox_id, item.kind.value, item.signal_id,
                )  # fmt: skip
        return claimed

    def finish(self, item: Announcement, *, now: datetime, error: str | None = None) -> OutboxState:
        """Mark the announcement sent (no error) or give it back for a later attempt; after
        the last attempt it is marked failed, and that is logged once."""
        state = self.store.finish_announcement(
            item.outbox_id, now=now, sent=error is None, error=error,
            max_attempts=self.max_attempts,
        )  # fmt: skip
        if state is OutboxState.FAILED:
            logger.error(
                "announcement %d (%s of %s) not sent after %d attempts: %s",
                item.outbox_id, item.kind.value, item.signal_id, item.attempts, error,
            )  # fmt: skip
        return state
