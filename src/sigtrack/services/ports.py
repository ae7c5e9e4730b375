"""The ports the services need; adapters implement them."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from sigtrack.core.batch_signals import NO_TIME, OutcomeBatch
from sigtrack.core.bot_records import (
    Announcement,
    FeedbackAnswer,
    FeedbackCounts,
    OutboxCounts,
    OutboxState,
    PassRecord,
    StoreCounts,
)
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.candles import Candles
from sigtrack.core.filters import SignalFilter
from sigtrack.core.jobs import JobRun, RunState
from sigtrack.core.journal import JournalEntry
from sigtrack.core.outcomes import Outcome, ms_to_datetime
from sigtrack.core.performance import OutcomeColumns, SignalFrame
from sigtrack.core.records import (
    Activity,
    Closing,
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.signals import (
    EventKind,
    Signal,
    Status,
)
from sigtrack.core.stats import ResultCounts

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


class AddStatus(StrEnum):
    ADDED = "added"  # a new row
    CLOSED = "closed"  # known id, same content, was open: the given closing was applied
    UNCHANGED = "unchanged"  # known id, same content: nothing to do
    CONFLICT = "conflict"  # known id, different content (only with on_conflict="report")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSignal:
    """A signal to store, possibly already closed (legacy import), and who adds it."""

    signal: Signal
    closing: Closing | None = None
    actor: str = "api"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddOutcome:
    signal_id: str
    status: AddStatus
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleUpdate:
    """What a settling pass learned about one open signal, and the events it makes."""

    signal_id: str
    outcome: Outcome
    previous: Outcome | None = None  # what the pass started from: written only if still so
    events: tuple[SignalEvent, ...] = ()  # tp_hit / closed, at the candle's time


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OpenSignals:
    """The open signals as columns, oldest first: what a settling pass reads, in one query.

    `stamps` is each stored outcome as the store holds it (None: not settled yet); a write
    of the pass goes through only where the stored outcome is still that (another monitor
    may have moved the signal on meanwhile).
    """

    keys: I64  # the store's own row keys, handed back with the writes
    signal_ids: list[str]
    symbols: list[str]
    is_long: B
    entry: F64
    stop: F64
    targets: F64  # N × the most targets any of them has; NaN past a signal's own
    created_ms: I64
    timeframes: list[str]
    outcomes: list[Outcome | None]  # as stored, under whatever rule
    stamps: list[str | None]

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, rows: I64) -> OpenSignals:
        picked = rows.tolist()
        return OpenSignals(
            keys=self.keys[rows],
            signal_ids=[self.signal_ids[i] for i in picked],
            symbols=[self.symbols[i] for i in picked],
            is_long=self.is_long[rows],
            entry=self.entry[rows],
            stop=self.stop[rows],
            targets=self.targets[rows],
            created_ms=self.created_ms[rows],
            timeframes=[self.timeframes[i] for i in picked],
            outcomes=[self.outcomes[i] for i in picked],
            stamps=[self.stamps[i] for i in picked],
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SettledRows:
    """What a pass learned about some open signals of one symbol, kept as columns.

    Row k is signal `keys[k]`, whose new outcome is row `rows[k]` of `outcomes`. Its events:
    a `tp_hit` per target in `new_hits` (at the candle's time, with the target's number and
    price), then, if it closed, a `closed` event (at the close, with `note`), all by `actor`
    (`events(k)` spells them out). `results` / `exit_reasons` are the closing's values.
    """

    keys: I64
    signal_ids: list[str]
    stamps: list[str | None]  # the stored outcome the pass started from
    created_ms: I64
    outcomes: OutcomeBatch
    rows: I64
    new_hits: B  # len(rows) × legs
    results: list[str | None]
    exit_reasons: list[str | None]
    actor: str
    note: str

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def closed(self) -> B:
        closed: B = self.outcomes.close_kind[self.rows] != 0
        return closed

    @property
    def closed_at_ms(self) -> I64:
        """When each closed (the last exit of its legs); NO_TIME while open."""
        last: I64 = np.max(self.outcomes.exit_ms[self.rows], axis=1, initial=NO_TIME)
        return np.where(self.closed, last, NO_TIME)

    def outcome(self, k: int) -> Outcome:
        return self.outcomes.outcome(int(self.rows[k]))

    def events(self, k: int) -> tuple[SignalEvent, ...]:
        """The events row k makes (the SQL store writes the same from the columns)."""
        i, state = int(self.rows[k]), self.outcomes
        events = [
            SignalEvent(
                kind=EventKind.TP_HIT,
                at=ms_to_datetime(int(state.hit_ms[i, j])),  # type: ignore[arg-type]
                actor=self.actor,
                data={"target": j + 1, "price": float(state.signals.targets[i, j])},
            )
            for j in np.flatnonzero(self.new_hits[k]).tolist()
        ]
        if self.results[k] is not None:
            pnl, r = float(state.pnl_pct[i]), float(state.r_multiple[i])
            events.append(
                SignalEvent(
                    kind=EventKind.CLOSED,
                    at=ms_to_datetime(int(self.closed_at_ms[k])),  # type: ignore[arg-type]
                    actor=self.actor,
                    note=self.note,
                    data={
                        "result": self.results[k],
                        "exit_reason": self.exit_reasons[k],
                        "pnl_pct": None if math.isnan(pnl) else pnl,
                        "r_multiple": None if math.isnan(r) else r,
                        "ambiguous": "yes" if state.is_ambiguous[i] else "no",
                        "rule": state.rule,
                    },
                )
            )
        return tuple(events)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SymbolClaims:
    """The symbols a settling pass settles, claimed one by one as it iterates (each held
    until the pass ends); those it never gets are other monitors' this pass."""

    symbols: Iterator[str]
    # other monitors share the store: a symbol's signals may have moved since the pass read
    # them, and are read again once it is claimed
    is_shared: bool

    def __iter__(self) -> Iterator[str]:
        return self.symbols


class SignalStore(Protocol):
    def add_signals(
        self, items: Sequence[NewSignal], *, now: datetime, on_conflict: str = "raise"
    ) -> list[AddOutcome]:
        """Store all items in one transaction (all or nothing); ids follow DESIGN §3.

        `on_conflict="raise"` raises SignalIdConflict for a reused id with other
        content; `"report"` returns a CONFLICT outcome for it and stores the rest.
        """
        ...

    def get(self, signal_id: str) -> SignalRecord: ...

    def list_signals(
        self,
        *,
        status: Status | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> Iterator[SignalRecord]:
        """Matching signals, newest first unless `oldest_first`, streamed in batches;
        `offset` skips that many of them first (a page of a listing)."""
        ...

    def recent_closes(self, *, since: datetime, until: datetime, limit: int) -> list[SignalRecord]:
        """The signals closed in [since, until) (cancelled ones too), newest close first."""
        ...

    def list_matching(self, chosen: SignalFilter) -> Iterator[SignalRecord]:
        """The signals matching `chosen` (applied by the store, as for `load_outcomes`),
        oldest first, streamed in batches."""
        ...

    def close(
        self,
        signal_id: str,
        closing: Closing,
        *,
        actor: str,
        note: str | None,
        override: bool,
        now: datetime,
    ) -> SignalRecord: ...

    def events(self, signal_id: str) -> list[SignalEvent]: ...

    def save_outcomes(self, updates: Sequence[SettleUpdate], *, now: datetime) -> list[str]:
        """Store settling progress in one transaction; close the signals whose outcome is
        closed. A signal closed meanwhile (by hand) is left as it is. Returns the ids that
        were updated."""
        ...

    def open_signals(self, *, symbols: Collection[str] | None = None) -> OpenSignals:
        """Every open signal (of `symbols`, if given), oldest first, in one read."""
        ...

    def open_counts(self, *, symbols: Collection[str] | None = None) -> dict[str, int]:
        """How many signals are open, by symbol (of `symbols`, if given): what a pass
        claims, without reading the signals themselves."""
        ...

    def claim_symbols(
        self, symbols: Collection[str], *, owner: str
    ) -> AbstractContextManager[SymbolClaims]:
        """The symbols of `symbols` this pass gets, claimed for `owner` as it iterates over
        them and held until the block ends: on PostgreSQL a row lock each (`SKIP LOCKED`:
        another monitor's are skipped, as are those claimed since the block began); on
        SQLite all of them."""
        ...

    def save_settled(self, settled: SettledRows, *, now: datetime, announce: bool = False) -> B:
        """Store a pass's outcomes and events in one transaction, closing what closed, and
        mark the rollup days of the closes. Left as they are: signals no longer open (closed
        by hand meanwhile) and signals whose stored outcome is no longer the pass's
        `stamps` (another monitor moved them on first). Returns which rows were written.

        With `announce`, the same transaction queues each TP hit and close it wrote in the
        outbox (PENDING, queued at `now`), each event at most once."""
        ...

    def result_counts(self, since: datetime, until: datetime) -> ResultCounts: ...

    def grouped_counts(
        self, by: BreakdownKey, since: datetime, until: datetime
    ) -> dict[Any, ResultCounts]:
        """Counts per key of the signals created in [since, until); for hour and weekday
        the keys are UTC quarter hours of the week (the minute of the week each starts
        at, Monday 00:00 UTC = 0) for the caller to place in its zone."""
        ...

    def load_outcomes(self, chosen: SignalFilter) -> OutcomeColumns:
        """The outcome columns of the matching signals, in the order they closed."""
        ...

    def strategies(self, until: datetime) -> list[tuple[str, datetime, int]]:
        """(strategy, newest creation, signals) of signals created before `until`,
        most recently used first."""
        ...

    def load_frame(self, chosen: SignalFilter) -> SignalFrame:
        """Outcome columns and what each signal was, in the order they closed."""
        ...

    def strategies_between(
        self, since: datetime, until: datetime
    ) -> list[tuple[str, datetime, int]]:
        """`strategies` of the signals created in [since, until)."""
        ...

    def rebuild_rollups(self) -> int:
        """Recount every day's rollups from the signals; returns the days recounted."""
        ...

    def add_activity(self, items: Sequence[Activity], *, dedupe: bool = False) -> int:
        """Append commands; with `dedupe`, lines already stored are skipped. Returns added."""
        ...

    def list_activity(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Activity]:
        """Commands with since <= at < until, oldest first."""
        ...

    def claim_announcements(
        self,
        *,
        now: datetime,
        limit: int = 20,
        lease_s: float = 300.0,
        max_age_s: float = 86400.0,
    ) -> list[Announcement]:
        """Claim up to `limit` announcements to send, oldest first, in one transaction: the
        pending ones and those SENDING for longer than `lease_s` (a sender died before
        marking them: `reclaimed`). They become SENDING, their attempts counted. Pending
        ones whose event is older than `max_age_s` become EXPIRED instead (stale news is
        not sent); finished rows older than 30 days are deleted. Two processes never
        claim the same row."""
        ...

    def finish_announcement(
        self,
        outbox_id: int,
        *,
        now: datetime,
        sent: bool,
        error: str | None = None,
        max_attempts: int = 5,
    ) -> OutboxState:
        """Mark a claimed announcement SENT, or PENDING again to be retried, or FAILED once
        it was claimed `max_attempts` times; `error` is kept (its first 500 characters).
        Returns the new state; raises InvalidInput for an unknown `outbox_id`."""
        ...

    def outbox_counts(self) -> OutboxCounts:
        """The outbox's rows per state."""
        ...

    def save_feedback(
        self, signal_id: str, user_id: int, answer: FeedbackAnswer, *, now: datetime
    ) -> FeedbackAnswer | None:
        """Store `user_id`'s answer to the signal, one per (signal, user): a second tap
        changes it. Returns the answer it replaced (None: the first); raises
        SignalNotFound for an unknown id."""
        ...

    def feedback_counts(
        self, since: datetime, until: datetime, *, limit: int = 50
    ) -> FeedbackCounts:
        """The answers to the signals created in [since, until): the newest `limit`
        answered signals' tallies, and the counts of the taken and the skipped ones."""
        ...

    def record_pass(self, record: PassRecord) -> None:
        """Keep a settling pass's record; records more than 7 days older are deleted."""
        ...

    def last_pass(self) -> PassRecord | None:
        """The newest settling pass recorded (None: none yet)."""
        ...

    def store_counts(self, *, since: datetime) -> StoreCounts:
        """Open and closed signals, signals created at or after `since`, commands logged."""
        ...

    # --- the run ledger: one row per job and slot (adapters/storage/jobs.py) ----------

    def register_job(self, name: str, *, now: datetime) -> datetime:
        """When the job was first seen (now, the first time): earlier slots are not its."""
        ...

    def claim_slot(
        self, name: str, slot: datetime, *, now: datetime, max_attempts: int, lease_s: float
    ) -> int | None:
        """Claim the slot for this process (first run, a retry of a failed one, or one
        whose process died past the lease); the attempt number, or None if not ours."""
        ...

    def finish_slot(
        self, name: str, slot: datetime, *, state: RunState, now: datetime,
        error: str | None = None, detail: Mapping[str, object] | None = None,
        duration_s: float | None = None,
    ) -> None: ...  # fmt: skip

    def mark_missed(self, name: str, slot: datetime, *, now: datetime) -> bool:
        """Record a slot found past its grace window; True for the one process that did."""
        ...

    def mark_told(self, name: str, slot: datetime) -> bool:
        """True for the one process that is to tell the admins about the slot."""
        ...

    def job_runs(self, name: str | None = None, *, limit: int = 10) -> list[JobRun]: ...

    def latest_runs(self) -> list[JobRun]: ...

    def apply_journaled(self, entries: Sequence[JournalEntry], *, now: datetime) -> list[str]:
        """Apply journaled operations in order, each once (its id marked in the transaction
        that applies it): per entry "applied", "already applied", or "refused: why"."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers."""
        ...

    def dispose(self) -> None: ...


class CandleSource(Protocol):
    """Final 1-minute candles of a symbol: from files, an exchange, or a cache of either."""

    @property
    def name(self) -> str:
        """Where the candles come from, for messages and cache paths (e.g. `binance-usdm`)."""
        ...

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        """The candles with start_ms <= open time < end_ms that are final.

        Never a candle still forming. A minute missing at the live edge (not published
        yet) is simply not there; a minute the source confirms it does not have (the
        exchange skipped it: later candles exist and a re-read returns the same) is left
        out and shows as a gap. Raises UnknownSymbol for a symbol the source does not
        list, MarketDataError when the data cannot be read.
        """
        ...


class CandleSources(Protocol):
    """Opens the candles a use case reads: files when given (a folder of SYMBOL.csv /
    .parquet, or one file named by `symbol`), else the configured exchange."""

    def __call__(self, *, candles: Path | None = None, symbol: str | None = None) -> CandleSource:
        """Raises InvalidInput naming `candles` when the files are not there."""
        ...


class SignalTableWriter(Protocol):
    """Writes signals as one table file (one row per signal) in a format it knows."""

    def __call__(self, records: Iterable[SignalRecord], path: Path, fmt: str) -> int:
        """Returns the rows written; raises InvalidInput for a bad format or path."""
        ...


class BackupTarget(Protocol):
    """Where backups are kept: a local folder or an S3-compatible bucket (adapters/backup).

    A backup is a set of files under one id (e.g. `sigtrack-20261202T160000Z`); the
    manifest (`manifest.json`) is written last, and a backup without one is not a backup
    (a half-written one is never listed, fetched or kept)."""

    @property
    def name(self) -> str:
        """Where, for messages: `/path/to/dir` or `s3://bucket/prefix` (never a secret)."""
        ...

    def write(self, backup_id: str, folder: Path) -> str:
        """Store every file of `folder` under `backup_id`, then `manifest.json` last, so
        that the backup appears whole or not at all. Returns its location (for messages).
        Raises BackupError naming the target when it cannot (server down, credentials,
        bucket missing, disk full); a failed write leaves nothing that looks complete."""
        ...

    def list(self) -> list[str]:
        """The ids of the complete backups (with a manifest), oldest first."""
        ...

    def fetch(self, backup_id: str, into: Path) -> Path:
        """Copy the backup's files (manifest included) into the folder `into`; returns it.
        Raises BackupError naming the target and the id when it is not there."""
        ...

    def delete(self, backup_id: str) -> None:
        """Remove a backup: the manifest first, so that it is never half-listed."""
        ...
