"""The ports the services need; adapters implement them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sigtrack.core.records import (
    Activity,
    Closing,
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.signals import (
    Signal,
    Status,
)
from sigtrack.core.stats import ResultCounts


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
        oldest_first: bool = False,
    ) -> Iterator[SignalRecord]:
        """Matching signals, newest first unless `oldest_first`, streamed in batches."""
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

    def result_counts(self, since: datetime, until: datetime) -> ResultCounts: ...

    def add_activity(self, items: Sequence[Activity], *, dedupe: bool = False) -> int:
        """Append commands; with `dedupe`, lines already stored are skipped. Returns added."""
        ...

    def list_activity(self) -> Iterator[Activity]: ...

    def dispose(self) -> None: ...
