"""The values behind the bot's day-to-day features: the announcements outbox, receivers'
feedback, the last settling pass, and what `/signal_stats` shows about the store.

Plain values of the core; the store (adapters/storage) makes them, the services and the
renderers (core/render/bot.py) read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sigtrack.core.errors import InvalidInput
from sigtrack.core.jobs import JobRun
from sigtrack.core.journal import JournalStatus
from sigtrack.core.signals import EventKind, Side
from sigtrack.core.stats import CountSummary, ResultCounts, summarize_counts


class OutboxState(StrEnum):
    PENDING = "pending"  # queued, or given back after a failed send (to be retried)
    SENDING = "sending"  # claimed by a process that is sending it
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt (logged, told)
    EXPIRED = "expired"  # not sent: older than the news window when its turn came


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcement:
    """One TP hit or close to post, claimed from the outbox, with what the post shows."""

    outbox_id: int
    event_id: int
    signal_id: str
    kind: EventKind  # TP_HIT or CLOSED
    at: datetime  # when it happened (the candle's time), aware UTC
    symbol: str
    side: Side
    timeframe: str
    entry: float
    created_at: datetime  # the signal's, for the time held
    data: Mapping[str, object]  # the event's data: target / price, or result / exit_reason /
    # pnl_pct / r_multiple / ambiguous
    attempts: int  # claims so far, this one included
    reclaimed: bool  # an earlier claim was never marked: the post may already have gone out


class FeedbackAnswer(StrEnum):
    TOOK = "took"
    SKIPPED = "skipped"


def parse_answer(value: object) -> FeedbackAnswer:
    try:
        return FeedbackAnswer(str(value).strip().lower())
    except ValueError:
        raise InvalidInput("answer", f"must be took or skipped (got {value!r})") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackTally:
    """The answers to one signal: how many receivers it had, took it and skipped it."""

    signal_id: str
    symbol: str
    created_at: datetime
    receivers: int  # receivers recorded with the signal (0: none recorded)
    took: int
    skipped: int

    @property
    def answered(self) -> int:
        return self.took + self.skipped

    @property
    def took_share(self) -> float | None:
        """Share of the receivers who took it (of those who answered, when none were
        recorded); None with nobody to count."""
        base = self.receivers or self.answered
        return self.took / base if base else None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackCounts:
    """What the store sums for the feedback of the signals created in a window.

    A signal is *taken* when at least one receiver took it, *skipped* when it has answers
    and every one of them is "skipped"; signals nobody answered are in neither.
    """

    tallies: tuple[FeedbackTally, ...]  # newest first, the signals with an answer
    taken: ResultCounts
    skipped: ResultCounts


@dataclass(frozen=True, slots=True, kw_only=True)
class PassRecord:
    """The last settling pass, as the store keeps it for `/signal_stats` and health checks."""

    at: datetime  # when it finished, aware UTC
    source: str  # where the candles came from (e.g. binance-usdm, files)
    checked: int
    symbols: int
    closed: int
    tp_hits: int
    wins: int
    losses: int
    expired: int
    failures: int  # symbols whose candles could not be read
    elapsed_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreCounts:
    """The store at a glance: open and closed signals, signals since a moment (today, in
    the display zone), commands logged."""

    open: int
    closed: int  # every result, cancelled ones included
    since: int  # signals created at or after the `since` asked for
    commands: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxCounts:
    by_state: Mapping[OutboxState, int] = field(default_factory=dict)

    def __getitem__(self, state: OutboxState) -> int:
        return self.by_state.get(state, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackSummary:
    """Receivers' answers over the signals created in [since, until): per signal the share
    who took it, and the numbers of the signals taken beside those skipped."""

    days: int
    since: datetime
    until: datetime
    tallies: tuple[FeedbackTally, ...]
    taken: CountSummary
    skipped: CountSummary


def summarize_feedback(
    counts: FeedbackCounts, *, days: int, since: datetime, until: datetime
) -> FeedbackSummary:
    return FeedbackSummary(
        days=days,
        since=since,
        until=until,
        tallies=counts.tallies,
        taken=summarize_counts(counts.taken),
        skipped=summarize_counts(counts.skipped),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStatus:
    """What `/signal_stats` shows: the counts, the last settling pass, the outbox."""

    counts: StoreCounts
    today_since: datetime  # the start of today in the display zone, aware UTC
    last_pass: PassRecord | None
    outbox: OutboxCounts
    store: str  # which store: the URL with its password masked
    jobs: tuple[JobRun, ...] = ()  # the newest run of each automatic job
    journal: JournalStatus | None = None  # writes waiting for the store (services/journal.py)


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    """What `/healthz` answers: the store reachable or why not, and when it last worked."""

    store: str  # which store: the URL with its password masked
    error: str | None  # why the store could not be read (None: it answered)
    status: StoreStatus | None  # None when the store did not answer
    last_backup: JobRun | None  # the newest backup run that wrote and verified every copy
    journal: JournalStatus | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
