"""`SignalStore` on SQLAlchemy Core: one short transaction per call, SQL aggregates."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from sigtrack.adapters.storage import feedback, outbox, rollups
from sigtrack.adapters.storage import jobs as ledger
from sigtrack.adapters.storage import status as store_status  # `status` names a parameter
from sigtrack.adapters.storage.activity_log import insert_activity, read_activity
from sigtrack.adapters.storage.adding import BATCH, add_signals
from sigtrack.adapters.storage.checkpoint import WalCheckpointer
from sigtrack.adapters.storage.claims import claim_symbols
from sigtrack.adapters.storage.closing import close_signal, record_lost_close
from sigtrack.adapters.storage.count_cache import CountCache
from sigtrack.adapters.storage.engine import IMMEDIATE
from sigtrack.adapters.storage.filtering import (
    closed_between,
    listing,
    load_frame,
    load_outcomes,
    matching_signals,
)
from sigtrack.adapters.storage.grouping import TOTAL, window_counts
from sigtrack.adapters.storage.journaled import apply_entry, mark_applied
from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.rows import load_records, read_events
from sigtrack.adapters.storage.settling import (
    open_counts,
    read_open,
    save_outcomes,
    save_settled,
)
from sigtrack.adapters.storage.tables import signals
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
from sigtrack.core.errors import (
    InvalidInput,
    SignalAlreadyClosed,
    SignalNotFound,
    StateConflict,
    StorageError,
    StoreUnavailable,
)
from sigtrack.core.filters import SignalFilter
from sigtrack.core.jobs import JobRun, RunState
from sigtrack.core.journal import JournalEntry
from sigtrack.core.performance import OutcomeColumns, SignalFrame
from sigtrack.core.records import Activity, Closing, SignalEvent, SignalRecord
from sigtrack.core.signals import Status
from sigtrack.core.stats import ResultCounts
from sigtrack.services.ports import (
    AddOutcome,
    NewSignal,
    OpenSignals,
    SettledRows,
    SettleUpdate,
    SymbolClaims,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
_RETRIES = 8  # a concurrent writer took the id we chose (or won a deadlock): again
_RACES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


class SqlSignalStore:
    def __init__(self, engine: Engine, *, checkpoint_interval_s: float | None = 2.0) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**IMMEDIATE)
        self._raw = RawSql(engine.dialect)
        self._count_cache = CountCache()  # window counts kept while the store is unchanged
        self._checkpointer = (
            WalCheckpointer(engine, checkpoint_interval_s)
            if engine.dialect.name == "sqlite" and checkpoint_interval_s
            else None
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._engine.dispose()

    # --- plumbing -------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction, again when a concurrent writer won a race."""
        for attempt in range(_RETRIES):
            try:
                with self._writer.begin() as conn:
                    return work(conn)
            except IntegrityError as exc:
                if attempt == _RETRIES - 1:
                    raise StorageError(
                        f"could not write after {_RETRIES} tries: {exc.orig}"
                    ) from exc
                logger.debug("write raced another writer (%s); retrying", exc.orig)
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) in _RACES and attempt < _RETRIES - 1:
                    # PostgreSQL chose this transaction to break a deadlock (or a
                    # serialization failure): the store is up, so try again, never journal
                    logger.debug("write lost a deadlock (%s); retrying", exc.orig)
                    continue
                raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
            except SQLAlchemyError as exc:
                raise StorageError(f"database error: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # --- signals --------------------------------------------------------------------

    def add_signals(
        self, items: Sequence[NewSignal], *, now: datetime, on_conflict: str = "raise"
    ) -> list[AddOutcome]:
        if not items:
            return []

        return self._write(
            lambda conn: add_signals(conn, self._raw, items, now=now, on_conflict=on_conflict)
        )

    def get(self, signal_id: str) -> SignalRecord:
        with self._reading() as conn:
            row = conn.execute(select(signals).where(signals.c.signal_id == signal_id)).mappings()
            found = row.first()
            if found is None:
                raise SignalNotFound(signal_id)
            return load_records(conn, [found])[0]

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
        query = listing(status=status, since=since, until=until, limit=limit, offset=offset,
                        oldest_first=oldest_first)  # fmt: skip
        with self._reading() as conn:
            result = conn.execution_options(yield_per=BATCH).execute(query).mappings()
            for batch in result.partitions():
                yield from load_records(conn, batch)

    def recent_closes(self, *, since: datetime, until: datetime, limit: int) -> list[SignalRecord]:
        with self._reading() as conn:
            query = closed_between(since, until, limit=limit)
            return load_records(conn, list(conn.execute(query).mappings()))

    def list_matching(self, chosen: SignalFilter) -> Iterator[SignalRecord]:
        query = matching_signals(chosen, self._engine.dialect.name)
        with self._reading() as conn:
            result = conn.execution_options(yield_per=BATCH).execute(query).mappings()
            for batch in result.partitions():
                yield from load_records(conn, batch)

    def close(
        self,
        signal_id: str,
        closing: Closing,
        *,
        actor: str,
        note: str | None,
        override: bool,
        now: datetime,
    ) -> SignalRecord:
        def close(conn: Connection) -> SignalRecord:
            return close_signal(conn, self._raw, signal_id, closing, actor=actor, note=note,
                                override=override, now=now)  # fmt: skip

        try:
            return self._write(close)
        except SignalAlreadyClosed:
            self._write(lambda conn: self._lost_close(conn, signal_id, closing, actor, note, now))
            raise

    def _lost_close(
        self,
        conn: Connection,
        signal_id: str,
        closing: Closing,
        actor: str,
        note: str | None,
        now: datetime,
    ) -> None:
        record_lost_close(conn, self._raw, signal_id, closing, actor=actor, note=note, now=now)

    # --- the journal ----------------------------------------------------------------

    def apply_journaled(self, entries: Sequence[JournalEntry], *, now: datetime) -> list[str]:
        """Apply journaled operations in order, each marked by its id in the transaction
        that applies it (an id already marked is not applied again); a batch shares one
        transaction. Each answer is "applied", "already applied", or why the store refused
        it — marked too, so that a replay does not retry it forever."""

        def work(conn: Connection) -> list[str]:
            return [apply_entry(conn, self._raw, entry, now) for entry in entries]

        try:
            return self._write(work)
        except (SignalNotFound, StateConflict, InvalidInput) as exc:
            if len(entries) > 1:  # one of them was refused: one by one, to tell which
                return [answer for entry in entries
                        for answer in self.apply_journaled([entry], now=now)]  # fmt: skip
            refused, entry = f"refused: {exc}"[:200], entries[0]
            lost = exc.signal_id if isinstance(exc, SignalAlreadyClosed) else None

            def mark(conn: Connection) -> None:
                mark_applied(conn, entry.op_id, refused, now)
                if lost is not None and entry.closing is not None:
                    self._lost_close(conn, lost, entry.closing, entry.actor, entry.note, entry.at)

            self._write(mark)
            return [refused]

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers a trivial query."""
        with self._reading() as conn:
            conn.execute(select(1))

    def save_outcomes(self, updates: Sequence[SettleUpdate], *, now: datetime) -> list[str]:
        if not updates:
            return []
        return self._write(lambda conn: save_outcomes(conn, updates, now=now))

    def open_signals(self, *, symbols: Collection[str] | None = None) -> OpenSignals:
        with self._reading() as conn:
            return read_open(conn, symbols)

    def open_counts(self, *, symbols: Collection[str] | None = None) -> dict[str, int]:
        with self._reading() as conn:
            return open_counts(conn, symbols)

    def claim_symbols(
        self, symbols: Collection[str], *, owner: str
    ) -> AbstractContextManager[SymbolClaims]:
        return claim_symbols(self._engine, symbols, owner=owner)

    def save_settled(
        self, settled: SettledRows, *, now: datetime, announce: bool = False
    ) -> npt.NDArray[np.bool_]:
        if not len(settled):
            return np.zeros(0, dtype=bool)
        if announce:
            return self._write(lambda conn: outbox.save_and_queue(conn, settled, now=now))
        return self._write(lambda conn: save_settled(conn, settled))

    def events(self, signal_id: str) -> list[SignalEvent]:
        with self._reading() as conn:
            return read_events(conn, signal_id)

    def result_counts(self, since: datetime, until: datetime) -> ResultCounts:
        """The cohort created in [since, until): whole UTC days from the rollups."""
        return self._counts(None, since, until).get(TOTAL) or ResultCounts(by_result={})

    def grouped_counts(
        self, by: BreakdownKey, since: datetime, until: datetime
    ) -> dict[Any, ResultCounts]:
        return self._counts(by, since, until)

    def _counts(
        self, by: BreakdownKey | None, since: datetime, until: datetime
    ) -> dict[Any, ResultCounts]:
        key = (by, since)
        with self._reading() as conn:
            fingerprint, kept = self._count_cache.get(conn, key, until)
        if kept is not None:
            return kept
        counts = self._count_window(by, since, until)
        with self._reading() as conn:
            self._count_cache.put(conn, key, fingerprint, until, counts)
        return counts

    def _count_window(
        self, by: BreakdownKey | None, since: datetime, until: datetime
    ) -> dict[Any, ResultCounts]:
        dim, span = rollups.dimension(by), rollups.whole_days(since, until)
        if span is not None:
            with self._reading() as conn:
                stale = rollups.stale_days(conn, dim, *span)
            if stale:
                try:
                    self._write(lambda conn: rollups.refresh(conn, dim, *span))
                except StorageError as exc:  # e.g. a read-only file or replica
                    logger.warning(
                        "rollups of %s not rebuilt (%s): counting every row of the window",
                        dim, exc,
                    )  # fmt: skip
                    with self._reading() as conn:
                        return window_counts(conn, by, since, until)
        with self._reading() as conn:
            return rollups.grouped_counts(conn, by, since, until)

    def refresh_rollups(self) -> int:
        """Build the daily rollups of every stale day now, rather than on the next long
        read (after a bulk load below the API has marked its days)."""
        return self._write(rollups.refresh_all)

    def rebuild_rollups(self) -> int:
        """Mark every day and rebuild all the rollups (after rows were written or deleted
        below the API); one write transaction. Returns the days rebuilt."""
        return self._write(rollups.rebuild_all)

    # --- activity -------------------------------------------------------------------

    def load_outcomes(self, chosen: SignalFilter) -> OutcomeColumns:
        with self._reading() as conn:
            return load_outcomes(conn, chosen)

    def strategies(self, until: datetime) -> list[tuple[str, datetime, int]]:
        return self._strategies(signals.c.created_at < until)

    def load_frame(self, chosen: SignalFilter) -> SignalFrame:
        with self._reading() as conn:
            return load_frame(conn, chosen)

    def add_activity(self, items: Sequence[Activity], *, dedupe: bool = False) -> int:
        if not items:
            return 0
        return self._write(lambda conn: insert_activity(conn, self._raw, items, dedupe=dedupe))

    def list_activity(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Activity]:
        with self._reading() as conn:
            yield from read_activity(conn, since=since, until=until, batch=BATCH)

    # --- the bot's features: announcements, feedback, status ------------------------

    def claim_announcements(
        self,
        *,
        now: datetime,
        limit: int = 20,
        lease_s: float = 300.0,
        max_age_s: float = 86400.0,
    ) -> list[Announcement]:
        return self._write(
            lambda conn: outbox.claim(
                conn, now=now, limit=limit, lease_s=lease_s, max_age_s=max_age_s
            )
        )

    def finish_announcement(
        self,
        outbox_id: int,
        *,
        now: datetime,
        sent: bool,
        error: str | None = None,
        max_attempts: int = 5,
    ) -> OutboxState:
        return self._write(
            lambda conn: outbox.finish(
                conn, outbox_id, now=now, sent=sent, error=error, max_attempts=max_attempts
            )
        )

    def outbox_counts(self) -> OutboxCounts:
        with self._reading() as conn:
            return outbox.counts(conn)

    def save_feedback(
        self, signal_id: str, user_id: int, answer: FeedbackAnswer, *, now: datetime
    ) -> FeedbackAnswer | None:
        return self._write(lambda conn: feedback.save(conn, signal_id, user_id, answer, now=now))

    def feedback_counts(
        self, since: datetime, until: datetime, *, limit: int = 50
    ) -> FeedbackCounts:
        with self._reading() as conn:
            return feedback.counts(conn, since, until, limit=limit)

    def record_pass(self, record: PassRecord) -> None:
        self._write(lambda conn: store_status.record_pass(conn, record))

    def last_pass(self) -> PassRecord | None:
        with self._reading() as conn:
            return store_status.last_pass(conn)

    def store_counts(self, *, since: datetime) -> StoreCounts:
        with self._reading() as conn:
            return store_status.store_counts(conn, since=since)

    # --- the run ledger (adapters/storage/jobs.py) ----------------------------------

    def register_job(self, name: str, *, now: datetime) -> datetime:
        return self._write(lambda conn: ledger.register_job(conn, name, now))

    def claim_slot(
        self, name: str, slot: datetime, *, now: datetime, max_attempts: int, lease_s: float
    ) -> int | None:
        return self._write(lambda conn: ledger.claim_slot(
            conn, name, slot, now=now, max_attempts=max_attempts, lease_s=lease_s))  # fmt: skip

    def finish_slot(
        self, name: str, slot: datetime, *, state: RunState, now: datetime,
        error: str | None = None, detail: Mapping[str, object] | None = None,
        duration_s: float | None = None,
    ) -> None:  # fmt: skip
        self._write(lambda conn: ledger.finish_slot(
            conn, name, slot, state=state, now=now, error=error, detail=detail,
            duration_s=duration_s))  # fmt: skip

    def mark_missed(self, name: str, slot: datetime, *, now: datetime) -> bool:
        return self._write(lambda conn: ledger.mark_missed(conn, name, slot, now=now))

    def mark_told(self, name: str, slot: datetime) -> bool:
        return self._write(lambda conn: ledger.mark_told(conn, name, slot))

    def job_runs(self, name: str | None = None, *, limit: int = 10) -> list[JobRun]:
        with self._reading() as conn:
            return ledger.runs(conn, name, limit=limit)

    def latest_runs(self) -> list[JobRun]:
        with self._reading() as conn:
            return ledger.latest_runs(conn)

    # --- strategies ----------------------------------------------------------------

    def strategies_between(
        self, since: datetime, until: datetime
    ) -> list[tuple[str, datetime, int]]:
        return self._strategies(signals.c.created_at >= since, signals.c.created_at < until)

    def _strategies(self, *window: ColumnElement[bool]) -> list[tuple[str, datetime, int]]:
        """Each strategy with signals in the window: its name, newest signal, count."""
        c = signals.c
        query = (
            select(c.strategy, func.max(c.created_at), func.count())
            .where(*window)
            .group_by(c.strategy)
            .order_by(func.max(c.created_at).desc())
        )
        with self._reading() as conn:
            return [(name, _aware(last), n) for name, last, n in conn.execute(query)]


def _aware(at: datetime) -> datetime:
    """An aggregate over a UtcDateTime column comes back without the type's processing."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
