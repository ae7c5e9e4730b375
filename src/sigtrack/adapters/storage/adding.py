"""Adding signals in one transaction: choose ids (DESIGN §3), detect repeats, insert in bulk;
and the rows a closing writes."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, text, update

from sigtrack.adapters.storage.rows import load_records, signal_row
from sigtrack.adapters.storage.tables import deliveries, signal_events, signals
from sigtrack.core.errors import SignalIdConflict
from sigtrack.core.records import Closing
from sigtrack.core.signals import (
    EventKind,
    Result,
    Status,
    base_signal_id,
    same_content,
    suffixed_signal_id,
)
from sigtrack.services.ports import AddOutcome, AddStatus, NewSignal

BATCH = 1000
_ID_LOCK_SPACE = 0x5167  # advisory-lock namespace of id allocation
_ID_LOCK_BUCKETS = 64


def apply_closing(
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


class SignalAdder:
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
        stored = load_records(self.conn, [row])[0]
        outcome = self._repeat(signal_id, stored.signal, item)
        if (
            outcome.status is AddStatus.UNCHANGED
            and item.closing
            and row["status"] == Status.ACTIVE
        ):
            apply_closing(self.conn, row, item.closing, actor=item.actor, note=None, now=self.now)
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
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            query = select(signals).where(signals.c.signal_id.in_(chunk))
            found |= {row["signal_id"]: row for row in self.conn.execute(query).mappings()}
        return found

    def _taken_ids(self, bases: list[str]) -> set[str]:
        """Stored ids among `bases`, plus every suffixed id of a base that is stored."""
        taken: set[str] = set()
        unique = list(dict.fromkeys(bases))
        for start in range(0, len(unique), BATCH):
            chunk = unique[start : start + BATCH]
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
