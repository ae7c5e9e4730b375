"""Adding signals in one transaction: choose ids (DESIGN §3), detect repeats, insert in bulk."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import Executable

from sigtrack.adapters.storage import rollups
from sigtrack.adapters.storage.bulk import closing_kind, insert_new
from sigtrack.adapters.storage.closing import apply_closing, closing_event
from sigtrack.adapters.storage.raw import RawSql
from sigtrack.adapters.storage.rows import load_records, signal_row
from sigtrack.adapters.storage.tables import deliveries, signal_events, signals
from sigtrack.core.errors import SignalIdConflict
from sigtrack.core.signals import (
    EventKind,
    Status,
    base_signal_id,
    same_content,
    suffixed_signal_id,
)
from sigtrack.services.ports import AddOutcome, AddStatus, NewSignal

BATCH = 1000
_ID_LOCK_SPACE = 0x5167  # advisory-lock namespace of id allocation
_ID_LOCK_BUCKETS = 64
_SUFFIX_PAGE = 32


class IdTaken(IntegrityError):
    """A concurrent writer took the id just chosen; the transaction is tried again."""

    def __init__(self, signal_id: str) -> None:
        super().__init__(f"signal_id {signal_id!r} was taken meanwhile", None, Exception())


def _insert_signal_unless_taken() -> Executable:
    """One signal row, or nothing when its id is taken (SQLite ≥ 3.35 and PostgreSQL)."""
    return (
        sqlite.insert(signals)
        .on_conflict_do_nothing(index_elements=["signal_id"])
        .returning(signals.c.id)
    )


def _insert_signal_unless_taken_pg() -> Executable:
    return (
        postgresql.insert(signals)
        .on_conflict_do_nothing(index_elements=["signal_id"])
        .returning(signals.c.id)
    )


def _stored_among() -> Executable:
    """Stored signal ids among a JSON list of ids (SQLite)."""
    each = func.json_each(bindparam("ids")).table_valued("value")
    return select(signals.c.signal_id).where(signals.c.signal_id.in_(select(each.c.value)))


def _stored_among_pg() -> Executable:
    return text(
        "SELECT signal_id FROM signals "
        "WHERE signal_id IN (SELECT json_array_elements_text(CAST(:ids AS json)))"
    )


class SignalAdder:
    """One `add_signals` transaction: choose ids, detect repeats, insert in bulk."""

    def __init__(self, conn: Connection, raw: RawSql, now: datetime, on_conflict: str) -> None:
        self.conn = conn
        self.raw = raw
        self.now = now
        self.on_conflict = on_conflict
        self.taken: set[str] = set()
        self.pending: dict[str, NewSignal] = {}

    def run(self, items: Sequence[NewSignal]) -> list[AddOutcome]:
        if len(items) == 1 and items[0].signal.signal_id is None:
            return [self._add_one(items[0])]
        supplied = [i.signal.signal_id for i in items if i.signal.signal_id is not None]
        bases = [
            base_signal_id(s.user_id, s.symbol, s.created_at) if s.signal_id is None else None
            for s in (i.signal for i in items)
        ]
        derived_bases = [b for b in bases if b is not None]
        # Before reading what is stored: a writer of the same ids waits here until the
        # first commits, then reads its rows, instead of inserting the same rows in
        # another order (two batches each holding a row the other inserts deadlock).
        self._lock_ids(derived_bases + supplied)
        existing = self._existing_rows(supplied)
        self.taken.update(supplied)
        self.taken.update(self._taken_ids(derived_bases))
        outcomes = [
            self._place(item, base, existing) for item, base in zip(items, bases, strict=True)
        ]
        insert_new(self.conn, self.raw, self.pending, self.now)
        return outcomes

    def _place(
        self, item: NewSignal, base: str | None, existing: dict[str, RowMapping]
    ) -> AddOutcome:
        """`base`: the old-scheme id of a signal without a supplied id."""
        signal = item.signal
        if base is not None:
            chosen = self._free_id(base)
            self.pending[chosen] = item
            return AddOutcome(signal_id=chosen, status=AddStatus.ADDED)
        signal_id = signal.signal_id
        assert signal_id is not None  # a signal has a supplied id or a base
        if signal_id in self.pending:  # the same id twice in one batch
            return self._repeat(signal_id, self.pending[signal_id].signal, item)
        row = existing.get(signal_id)
        if row is None:
            self.pending[signal_id] = item
            return AddOutcome(signal_id=signal_id, status=AddStatus.ADDED)
        stored = load_records(self.conn, [row])[0]
        outcome = self._repeat(signal_id, stored.signal, item)
        if (
            outcome.status is AddStatus.UNCHANGED
            and item.closing
            and row["status"] == Status.ACTIVE
        ):
            apply_closing(
                self.conn, self.raw, row, item.closing, actor=item.actor, note=None, now=self.now
            )
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
        if base not in self.taken:  # the common case: suffixed_signal_id(base, 1) is base
            self.taken.add(base)
            return base
        n = 2
        while suffixed_signal_id(base, n) in self.taken:
            n += 1
        chosen = suffixed_signal_id(base, n)
        self.taken.add(chosen)
        return chosen

    def _lock_ids(self, ids: list[str]) -> None:
        """On PostgreSQL, writers choosing ids for the same base, or adding the same
        supplied id, take turns (SQLite's BEGIN IMMEDIATE already serialises writers).
        Ids share a few lock buckets, so a batch holds at most `_ID_LOCK_BUCKETS` locks,
        all taken at once and in order (no deadlock)."""
        if self.conn.dialect.name != "postgresql" or not ids:
            return
        buckets = sorted({zlib.crc32(i.encode()) % _ID_LOCK_BUCKETS for i in ids})
        # One round trip: unnest yields the buckets in the array's order, and each row's
        # lock is taken as the row is produced.
        self.conn.execute(
            text(
                "SELECT pg_advisory_xact_lock(:space, bucket) "
                "FROM unnest(CAST(:buckets AS integer[])) AS bucket"
            ),
            {"space": _ID_LOCK_SPACE, "buckets": buckets},
        )

    def _existing_rows(self, ids: list[str]) -> dict[str, RowMapping]:
        found: dict[str, RowMapping] = {}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            query = select(signals).where(signals.c.signal_id.in_(chunk))
            found |= {row["signal_id"]: row for row in self.conn.execute(query).mappings()}
        return found

    def _taken_ids(self, bases: list[str]) -> set[str]:
        """Stored ids among `bases`, plus every suffixed id of a base that is stored."""
        unique = list(dict.fromkeys(bases))
        taken = self._stored_among(unique)
        for base in [b for b in unique if b in taken]:
            taken.update(self._taken_suffixes(base))
        return taken

    def _stored_among(self, ids: list[str]) -> set[str]:
        """The stored signal ids among `ids`: one statement, one index search per id."""
        if not ids:
            return set()
        build = _stored_among_pg if self.conn.dialect.name == "postgresql" else _stored_among
        found = self.raw.execute(self.conn, "stored_among", build, {"ids": json.dumps(ids)})
        return {row["signal_id"] for row in found}

    def _taken_suffixes(self, base: str) -> set[str]:
        """`base_2`, `base_3`, … that are stored: asked in pages of exact ids, so that
        the unique index answers (a LIKE would scan the table on SQLite)."""
        taken: set[str] = set()
        first = 2
        while True:
            page = [suffixed_signal_id(base, n) for n in range(first, first + _SUFFIX_PAGE)]
            query = select(signals.c.signal_id).where(signals.c.signal_id.in_(page))
            found = set(self.conn.execute(query).scalars())
            taken |= found
            if len(found) < _SUFFIX_PAGE:
                return taken
            first += _SUFFIX_PAGE

    def _add_one(self, item: NewSignal) -> AddOutcome:
        """The common case, `track`: try the old-scheme id at once; suffix only if taken."""
        signal = item.signal
        base = base_signal_id(signal.user_id, signal.symbol, signal.created_at)
        build = (
            _insert_signal_unless_taken_pg
            if self.conn.dialect.name == "postgresql"
            else _insert_signal_unless_taken
        )
        inserted = self.raw.execute(
            self.conn, "insert_signal_unless_taken", build, signal_row(base, item, self.now)
        )
        signal_id = base
        if not inserted:  # another signal holds the base id: take the next suffix
            self._lock_ids([base])  # the base insert itself needs no lock: ON CONFLICT
            self.taken.update(self._taken_ids([base]))
            signal_id = self._free_id(base)
            row = signal_row(signal_id, item, self.now)
            inserted = self.raw.execute(self.conn, "insert_signal_unless_taken", build, row)
            if not inserted:  # a concurrent writer won this id after all: the caller retries
                raise IdTaken(signal_id)
        self._insert_children([(inserted[0]["id"], item)])
        return AddOutcome(signal_id=signal_id, status=AddStatus.ADDED)

    def _insert_children(self, added: list[tuple[int, NewSignal]]) -> None:
        """The created (and closed) events and the deliveries of freshly inserted rows."""
        events: list[dict[str, Any]] = []
        receivers: list[dict[str, Any]] = []
        for pk, item in added:
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
                kind = closing_kind(item.closing)
                events.append(
                    closing_event(pk, item.closing, kind, actor=item.actor, note=None,
                                  now=self.now, extra={})
                )  # fmt: skip
        self.raw.executemany(self.conn, "insert_events", lambda: insert(signal_events), events)
        self.raw.executemany(self.conn, "insert_deliveries", lambda: insert(deliveries), receivers)


def add_signals(
    conn: Connection, raw: RawSql, items: Sequence[NewSignal], *, now: datetime, on_conflict: str
) -> list[AddOutcome]:
    """Add `items` in the caller's transaction and mark their days' rollups stale."""
    added = SignalAdder(conn, raw, now, on_conflict).run(items)
    rollups.mark_days(conn, (rollups.day_of(item.signal.created_at) for item in items), raw)
    return added
