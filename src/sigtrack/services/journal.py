"""Never lose a write: while the store cannot be reached, tracks, closes, cancels and
commands go to the local journal (adapters/journal), and a replay applies them in order
when it answers again.

After the first failure the store is taken to be down: calls go to the journal at once,
without a connection attempt each (an unreachable host would make every call wait its
connect timeout), while a probe in the background asks the store every few seconds. When
it answers, the journal is replayed there — in order, each operation marked in the
transaction that applies it, so a replay interrupted by a crash applies nothing twice — and
only once the journal is empty do calls go to the store again, so that nothing overtakes a
write made before it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sigtrack.core.errors import StoreUnavailable
from sigtrack.core.journal import (
    ALREADY_APPLIED,
    APPLIED,
    JournalContents,
    JournalEntry,
    JournalStatus,
    ReplayReport,
)
from sigtrack.services.ports import SignalStore

logger = logging.getLogger(__name__)

PROBE_EVERY_S = 5.0
BATCH = 200  # journaled operations applied per transaction


class JournalFile(Protocol):
    """Where the entries are kept (adapters/journal.JournalFile)."""

    def append(self, entry: JournalEntry) -> None: ...

    def read(self) -> JournalContents: ...

    def replaying(self) -> AbstractContextManager[JournalContents]: ...

    def set_aside_files(self) -> list[Path]: ...


@dataclass(slots=True)
class _Down:
    since: datetime
    error: str
    next_probe: float


@dataclass(slots=True, kw_only=True)
class JournalService:
    store: SignalStore
    file: JournalFile
    prepare: Callable[[], object] = field(default=lambda: None)  # e.g. migrate, before a replay
    probe_every_s: float = PROBE_EVERY_S
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    monotonic: Callable[[], float] = field(default=time.monotonic)
    _down: _Down | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _probing: threading.Thread | None = None

    def __post_init__(self) -> None:
        if self.file.read().entries:  # a journal left by an earlier run: it goes first
            self._down = _Down(since=self.clock(), error="a journal is waiting to be replayed",
                               next_probe=self.monotonic())  # fmt: skip

    # --- the writers' side ---------------------------------------------------------

    def store_is_down(self) -> bool:
        """Whether writes must go to the journal; when a probe is due, one starts in the
        background (the caller never waits for it)."""
        with self._lock:
            down = self._down
            if down is None:
                return False
            if self.monotonic() >= down.next_probe and self._probing is None:
                down.next_probe = self.monotonic() + self.probe_every_s
                self._probing = threading.Thread(target=self._probe, name="sigtrack-journal",
                                                 daemon=True)  # fmt: skip
                self._probing.start()
            return True

    def failed(self, exc: StoreUnavailable) -> None:
        with self._lock:
            if self._down is None:
                logger.warning("the store does not answer (%s): writes go to the journal", exc)
                self._down = _Down(since=self.clock(), error=str(exc),
                                   next_probe=self.monotonic() + self.probe_every_s)  # fmt: skip

    def write(self, entry: JournalEntry) -> None:
        self.file.append(entry)

    # --- the replay ----------------------------------------------------------------

    def _probe(self) -> None:
        try:
            self.replay_all()
        except Exception:  # a probe must never kill its thread's owner
            logger.exception("the journal's replay failed; it is retried")
        finally:
            with self._lock:
                self._probing = None

    def replay_all(self) -> ReplayReport:
        """Replay until the journal is empty (writes made during a replay wait for it, and
        are replayed next); then writes go to the store again."""
        total = ReplayReport()
        while True:
            report = self.replay()
            total = _sum(total, report)
            if report.error is not None:
                return total
            if not self.file.read().entries:
                with self._lock:
                    if self._down is not None:
                        logger.warning("the store answers again: %d journaled operation(s) "
                                       "replayed", total.total)  # fmt: skip
                    self._down = None
                return total

    def replay(self) -> ReplayReport:
        """Apply the journal to the store in order, once; stop at the first sign that the
        store is down again (what was applied stays marked)."""
        now = self.clock()
        try:
            self.store.ping()
            self.prepare()
        except StoreUnavailable as exc:
            return ReplayReport(error=str(exc))
        applied = already = 0
        refused: list[tuple[JournalEntry, str]] = []
        try:
            with self.file.replaying() as contents:
                entries = contents.entries
                for start in range(0, len(entries), BATCH):
                    chunk = entries[start : start + BATCH]
                    answers = self.store.apply_journaled(chunk, now=now)
                    for entry, outcome in zip(chunk, answers, strict=True):
                        if outcome == APPLIED:
                            applied += 1
                        elif outcome == ALREADY_APPLIED:
                            already += 1
                        else:
                            logger.warning("journal: %s %s %s", entry.kind.value, entry.op_id,
                                           outcome)  # fmt: skip
                            refused.append((entry, outcome))
                bad = contents.bad
        except StoreUnavailable as exc:
            return ReplayReport(applied=applied, already=already, refused=tuple(refused),
                                error=str(exc))  # fmt: skip
        for line in bad:
            logger.warning("journal: line %d set aside: %s", line.number, line.reason)
        return ReplayReport(applied=applied, already=already, refused=tuple(refused),
                            set_aside=bad)  # fmt: skip

    def keep_replaying(self, stop: threading.Event, *, every_s: float = PROBE_EVERY_S) -> None:
        """Replay whatever waits in the journal every `every_s` seconds until `stop` is set
        (`sigtrack serve`, `sigtrack bot`)."""
        while not stop.is_set():
            try:
                if self._down is not None or self.file.read().entries:
                    self.replay_all()
            except Exception:  # the loop outlives one bad replay
                logger.exception("the journal's replay failed; it is retried")
            stop.wait(every_s)

    def status(self) -> JournalStatus:
        contents = self.file.read()
        with self._lock:
            down = self._down
        return JournalStatus(
            backlog=len(contents.entries),
            signals=sum(len(e.signals) for e in contents.entries),
            bad_lines=len(contents.bad),
            set_aside_files=tuple(str(p) for p in self.file.set_aside_files()),
            store_down_since=None if down is None else down.since,
            last_error=None if down is None else down.error,
        )


def _sum(a: ReplayReport, b: ReplayReport) -> ReplayReport:
    return ReplayReport(applied=a.applied + b.applied, already=a.already + b.already,
                        refused=a.refused + b.refused, set_aside=a.set_aside + b.set_aside,
                        error=b.error)  # fmt: skip
