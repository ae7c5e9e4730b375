"""`SignalStore` on SQLAlchemy Core: one short transaction per call, SQL aggregates."""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, RowMapping, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from sigtrack.adapters.storage.engine import IMMEDIATE
from sigtrack.adapters.storage.rows import record_from_row, signal_row
from sigtrack.adapters.storage.tables import activity, deliveries, signal_events, signals
from sigtrack.core.errors import (
    SignalAlreadyClosed,
    SignalIdConflict,
    SignalNotFound,
    StorageError,
)
from sigtrack.core.signals import (
    Activity,
    Closing,
    EventKind,
    Result,
    SignalEvent,
    SignalRecord,
    Status,
    base_signal_id,
    same_content,
    suffixed_signal_id,
)
from sigtrack.core.stats import ResultCounts
from sigtrack.services.ports import AddOutcome, AddStatus, NewSignal

logger = logging.getLogger(__name__)

T = TypeVar("T")
_RETRIES = 8  # a concurrent writer took the id we chose: choose again
_BATCH = 1000
_ID_LOCK_SPACE = 0x5167  # advisory-lock namespace of id allocation
_ID_LOCK_BUCKETS = 64


class SqlSignalStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**IMMEDIATE)

    @property
    def engine(self) -> Engine:
        return self._engine

    def dispose(self) -> None:
        self._engine.dispose()

    # --- plumbing -------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StorageError(f"database unavailable: {exc.orig}") from exc

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
                raise StorageError(f"database unavailable: {exc.orig}") from exc
            except SQLAlchemyError as exc:
                raise StorageError(f"database error: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # --- signals --------------------------------------------------------------------

    def add_signals(
        self, items: Sequence[NewSignal], *, now: datetime, on_conflict: str = "raise"
    ) -> list[AddOutcome]:
        if not items:
            return []
        return self._write(lambda conn: _Adder(conn, now, on_conflict).run(items))

    def get(self, signal_id: str) -> SignalRecord:
        with self._reading() as conn:
            row = conn.execute(select(signals).where(signals.c.signal_id == signal_id)).mappings()
            found = row.first()
            if found is None:
                raise SignalNotFound(signal_id)
            return _records(conn, [found])[0]

    def list_signals(
        self,
        *,
        status: Status | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        oldest_first: bool = False,
    ) -> Iterator[SignalRecord]:
        order = (signals.c.created_at, signals.c.id)
        query = select(signals).order_by(*(order if oldest_first else (c.desc() for c in order)))
        if status is not None:
            query = query.where(signals.c.status == status.value)
        if since is not None:
            query = query.where(signals.c.created_at >= since)
        if until is not None:
            query = query.where(signals.c.created_at <= until)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            result = conn.execution_options(yield_per=_BATCH).execute(query).mappings()
            for batch in result.partitions():
                yield from _records(conn, batch)

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
        def work(conn: Connection) -> SignalRecord:
            row = (
                conn.execute(select(signals).where(signals.c.signal_id == signal_id))
                .mappings()
                .first()
            )
            if row is None:
                raise SignalNotFound(signal_id)
            if row["status"] == Status.CLOSED and not override:
                raise SignalAlreadyClosed(signal_id, row["result"])
            _apply_closing(conn, row, closing, actor=actor, note=note, now=now)
            fresh = conn.execute(select(signals).where(signals.c.id == row["id"])).mappings()
            return _records(conn, [fresh.one()])[0]

        return self._write(work)

    def events(self, signal_id: str) -> list[SignalEvent]:
        query = (
            select(signal_events)
            .join(signals, signals.c.id == signal_events.c.signal_pk)
            .where(signals.c.signal_id == signal_id)
            .order_by(signal_events.c.id)
        )
        with self._reading() as conn:
            rows = conn.execute(query).mappings().all()
            if (
                not rows
                and conn.execute(
                    select(signals.c.id).where(signals.c.signal_id == signal_id)
                ).first()
                is None
            ):
                raise SignalNotFound(signal_id)
        return [
            SignalEvent(
                kind=EventKind(r["kind"]), at=r["at"], actor=r["actor"], note=r["note"],
                data=r["data"],
            )
            for r in rows
        ]  # fmt: skip

    def result_counts(self, since: datetime, until: datetime) -> ResultCounts:
        query = (
            select(
                signals.c.status,
                signals.c.result,
                func.count(),
                func.sum(signals.c.pnl_pct),
                func.count(signals.c.pnl_pct),
            )
            .where(signals.c.created_at >= since, signals.c.created_at <= until)
            .group_by(signals.c.status, signals.c.result)
        )
        open_count, pnl_sum, pnl_count = 0, 0.0, 0
        by_result: dict[Result, int] = {}
        with self._reading() as conn:
            for status, result, n, pnl, n_pnl in conn.execute(query):
                if status == Status.ACTIVE:
                    open_count += n
                    continue
                by_result[Result(result)] = by_result.get(Result(result), 0) + n
                if result != Result.CANCELLED:
                    pnl_sum += pnl or 0.0
                    pnl_count += n_pnl
        return ResultCounts(
            open=open_count, by_result=by_result, pnl_sum_pct=pnl_sum, pnl_count=pnl_count
        )

    # --- activity -------------------------------------------------------------------

    def add_activity(self, items: Sequence[Activity], *, dedupe: bool = False) -> int:
        if not items:
            return 0
        rows = [
            {
                "at": a.at, "user_id": a.user_id, "username": a.username, "command": a.command,
                "symbol": a.symbol, "timeframe": a.timeframe,
                "dedupe_key": _activity_key(a) if dedupe else None,
            }
            for a in items
        ]  # fmt: skip

        def work(conn: Connection) -> int:
            before = conn.execute(select(func.count()).select_from(activity)).scalar_one()
            statement: Any = insert(activity)
            if dedupe:
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                statement = dialect.insert(activity).on_conflict_do_nothing(
                    index_elements=["dedupe_key"]
                )
            conn.execute(statement, rows)
            after = conn.execute(select(func.count()).select_from(activity)).scalar_one()
            return int(after - before)

        return self._write(work)

    def list_activity(self) -> Iterator[Activity]:
        query = select(activity).order_by(activity.c.at, activity.c.id)
        with self._reading() as conn:
            result = conn.execution_options(yield_per=_BATCH).execute(query).mappings()
            for row in result:
                yield Activity(
                    at=row["at"], user_id=row["user_id"], username=row["username"],
                    command=row["command"], symbol=row["symbol"], timeframe=row["timeframe"],
                )  # fmt: skip


def _activity_key(a: Activity) -> str:
    text = json.dumps(
        [a.at.isoformat(), a.user_id, a.username, a.command, a.symbol, a.timeframe],
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _records(conn: Connection, rows: Sequence[RowMapping]) -> list[SignalRecord]:
    """Rows → records, with every row's receivers fetched in one query."""
    receivers: dict[int, list[int]] = {row["id"]: [] for row in rows}
    if receivers:
        query = (
            select(deliveries.c.signal_pk, deliveries.c.user_id)
            .where(deliveries.c.signal_pk.in_(list(receivers)))
            .order_by(deliveries.c.signal_pk, deliveries.c.position)
        )
        for pk, user_id in conn.execute(query):
            receivers[pk].append(user_id)
    return [record_from_row(row, receivers[row["id"]]) for row in rows]


def _apply_closing(
    conn: Connection,
    row: RowMapping,
    closing: Closing,
    *,
    actor: str,
    note: str | None,
    now: datetime,
) -> None:
    was_closed = row["status"] == Status.CLOSED
    conn.execute(
        update(signals)
        .where(signals.c.id == row["id"])
        .values(
            status=Status.CLOSED.value,
            result=closing.result.value,
            exit_reason=closing.exit_reason.value,
            pnl_pct=closing.pnl_pct,
            closed_at=closing.closed_at,
        )
    )
    if was_closed:
        kind = EventKind.OVERRIDE
        extra = {"old_result": row["result"], "old_pnl_pct": row["pnl_pct"]}
    else:
        kind, extra = _closing_kind(closing), {}
    conn.execute(
        insert(signal_events),
        _closing_event(row["id"], closing, kind, actor=actor, note=note, now=now, extra=extra),
    )


def _closing_kind(closing: Closing) -> EventKind:
    return EventKind.CANCELLED if closing.result is Result.CANCELLED else EventKind.CLOSED


def _closing_event(
    pk: int,
    closing: Closing,
    kind: EventKind,
    *,
    actor: str,
    note: str | None,
    now: datetime,
    extra: dict[str, Any],
) -> dict[str, Any]:
    data = {
        "result": closing.result.value,
        "exit_reason": closing.exit_reason.value,
        "pnl_pct": closing.pnl_pct,
        "closed_at": closing.closed_at.isoformat(),
        **extra,
    }
    return {"signal_pk": pk, "kind": kind.value, "at": now, "actor": actor, "note": note,
            "data": data}  # fmt: skip


class _Adder:
    """One `add_signals` transaction: choose ids, detect repeats, insert in bulk."""

    def __init__(self, conn: Connection, now: datetime, on_conflict: str) -> None:
        self.conn = conn
        self.now = now
        self.on_conflict = on_conflict
        self.taken: set[str] = set()
        self.pending: dict[str, NewSignal] = {}

    def run(self, items: Sequence[NewSignal]) -> list[AddOutcome]:
        supplied = [i.signal.signal_id for i in items if i.signal.signal_id is not None]
        existing = self._existing_rows(supplied)
        derived_bases = [
            base_signal_id(i.signal.user_id, i.signal.symbol, i.signal.created_at)
            for i in items
            if i.signal.signal_id is None
        ]
        self._lock_bases(derived_bases)
        self.taken.update(supplied)
        self.taken.update(self._taken_ids(derived_bases))
        outcomes = [self._place(item, existing) for item in items]
        self._insert(list(self.pending.items()))
        return outcomes

    def _place(self, item: NewSignal, existing: dict[str, RowMapping]) -> AddOutcome:
        signal = item.signal
        if signal.signal_id is None:
            signal_id = self._free_id(
                base_signal_id(signal.user_id, signal.symbol, signal.created_at)
            )
            self.pending[signal_id] = item
            return AddOutcome(signal_id=signal_id, status=AddStatus.ADDED)
        signal_id = signal.signal_id
        if signal_id in self.pending:  # the same id twice in one batch
            return self._repeat(signal_id, self.pending[signal_id].signal, item)
        row = existing.get(signal_id)
        if row is None:
            self.pending[signal_id] = item
            return AddOutcome(signal_id=signal_id, status=AddStatus.ADDED)
        stored = _records(self.conn, [row])[0]
        outcome = self._repeat(signal_id, stored.signal, item)
        if (
            outcome.status is AddStatus.UNCHANGED
            and item.closing
            and row["status"] == Status.ACTIVE
        ):
            _apply_closing(self.conn, row, item.closing, actor=item.actor, note=None, now=self.now)
            return AddOutcome(signal_id=signal_id, status=AddStatus.CLOSED)
        return outcome

    def _repeat(self, signal_id: str, stored: Any, item: NewSignal) -> AddOutcome:
        differences = same_content(stored, item.signal)
        if not differences:
            return AddOutcome(signal_id=signal_id, status=AddStatus.UNCHANGED)
        detail = ", ".join(
            f"{name}: {getattr(stored, name)!r} vs {getattr(item.signal, name)!r}"
            for name in differences
        )
        if self.on_conflict == "raise":
            raise SignalIdConflict(signal_id, detail)
        return AddOutcome(signal_id=signal_id, status=AddStatus.CONFLICT, detail=detail)

    def _free_id(self, base: str) -> str:
        n = 1
        while suffixed_signal_id(base, n) in self.taken:
            n += 1
        chosen = suffixed_signal_id(base, n)
        self.taken.add(chosen)
        return chosen

    def _lock_bases(self, bases: list[str]) -> None:
        """On PostgreSQL, writers choosing ids for the same base take turns (SQLite's
        BEGIN IMMEDIATE already serialises writers). Bases share a few lock buckets, so a
        batch holds at most `_ID_LOCK_BUCKETS` locks, taken in order (no deadlock)."""
        if self.conn.dialect.name != "postgresql" or not bases:
            return
        for bucket in sorted({zlib.crc32(b.encode()) % _ID_LOCK_BUCKETS for b in bases}):
            self.conn.execute(
                text("SELECT pg_advisory_xact_lock(:space, :bucket)"),
                {"space": _ID_LOCK_SPACE, "bucket": bucket},
            )

    def _existing_rows(self, ids: list[str]) -> dict[str, RowMapping]:
        found: dict[str, RowMapping] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            query = select(signals).where(signals.c.signal_id.in_(chunk))
            found |= {row["signal_id"]: row for row in self.conn.execute(query).mappings()}
        return found

    def _taken_ids(self, bases: list[str]) -> set[str]:
        """Stored ids among `bases`, plus every suffixed id of a base that is stored."""
        taken: set[str] = set()
        unique = list(dict.fromkeys(bases))
        for start in range(0, len(unique), _BATCH):
            chunk = unique[start : start + _BATCH]
            query = select(signals.c.signal_id).where(signals.c.signal_id.in_(chunk))
            taken.update(self.conn.execute(query).scalars())
        for base in [b for b in unique if b in taken]:
            pattern = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "\\_%"
            query = select(signals.c.signal_id).where(
                signals.c.signal_id.like(pattern, escape="\\")
            )
            taken.update(self.conn.execute(query).scalars())
        return taken

    def _insert(self, pending: list[tuple[str, NewSignal]]) -> None:
        if not pending:
            return
        rows = [signal_row(signal_id, item, self.now) for signal_id, item in pending]
        statement = insert(signals).returning(signals.c.id, sort_by_parameter_order=True)
        pks = list(self.conn.execute(statement, rows).scalars())
        events: list[dict[str, Any]] = []
        receivers: list[dict[str, Any]] = []
        for pk, (_signal_id, item) in zip(pks, pending, strict=True):
            signal = item.signal
            events.append(
                {"signal_pk": pk, "kind": EventKind.CREATED.value, "at": self.now,
                 "actor": item.actor, "note": None,
                 "data": {"created_at": signal.created_at.isoformat()}}
            )  # fmt: skip
            receivers.extend(
                {"signal_pk": pk, "user_id": user_id, "position": position}
                for position, user_id in enumerate(signal.receivers)
            )
            if item.closing is not None:
                kind = _closing_kind(item.closing)
                events.append(
                    _closing_event(pk, item.closing, kind, actor=item.actor, note=None,
                                   now=self.now, extra={})
                )  # fmt: skip
        self.conn.execute(insert(signal_events), events)
        if receivers:
            self.conn.execute(insert(deliveries), receivers)
