"""The old tracker's JSONL history: bring it in (merge the file kinds, store, report) and
write it out again, through a reader and a writer of the files (ports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from sigtrack.core.errors import InvalidInput
from sigtrack.core.records import Activity, SignalRecord
from sigtrack.core.signals import SignalDefaults, same_content
from sigtrack.services.ports import AddStatus, NewSignal, SignalStore


class FileKind(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    PROMPTS = "prompts"


@dataclass(frozen=True, slots=True)
class LineRef:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacySignal:
    ref: LineRef
    kind: FileKind
    item: NewSignal


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyActivity:
    ref: LineRef
    activity: Activity


@dataclass(slots=True, kw_only=True)
class LegacyBatch:
    """What the files held: parsed lines, and every line that could not be used."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    signals: list[LegacySignal] = field(default_factory=list)
    activities: list[LegacyActivity] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: reason"; line skipped
    warnings: list[str] = field(default_factory=list)  # "file:line: note"; line imported


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    files: list[str]
    lines: int
    added: int
    closed: int
    unchanged: int
    activity_added: int
    activity_unchanged: int
    problems: list[str]
    warnings: list[str]


def _merge(
    signals: Sequence[LegacySignal], problems: list[str], warnings: list[str]
) -> list[LegacySignal]:
    """One entry per signal id: a completed line beats an active one; repeats must agree."""
    chosen: dict[str, LegacySignal] = {}
    for entry in signals:
        signal_id = entry.item.signal.signal_id or ""
        previous = chosen.get(signal_id)
        if previous is None:
            chosen[signal_id] = entry
            continue
        differences = same_content(previous.item.signal, entry.item.signal)
        if differences:
            problems.append(
                f"{entry.ref}: signal {signal_id!r} differs from {previous.ref} "
                f"in {', '.join(differences)}; kept the first"
            )
        elif entry.item.closing is not None and previous.item.closing is None:
            chosen[signal_id] = entry  # the completed version wins
            warnings.append(f"{entry.ref}: closes the open signal of {previous.ref}; kept closed")
        elif entry.item.closing is None and previous.item.closing is not None:
            warnings.append(f"{entry.ref}: still open here, closed at {previous.ref}; kept closed")
        elif entry.item.closing != previous.item.closing:
            problems.append(
                f"{entry.ref}: signal {signal_id!r} closed differently at {previous.ref}; "
                "kept the first"
            )
        else:
            warnings.append(f"{entry.ref}: repeats {previous.ref}; counted once")
    return list(chosen.values())


def import_legacy(store: SignalStore, batch: LegacyBatch, *, now: datetime) -> ImportReport:
    """Store what `batch` holds; importing the same files again adds nothing."""
    problems, warnings = list(batch.problems), list(batch.warnings)
    merged = _merge(batch.signals, problems, warnings)
    outcomes = store.add_signals([e.item for e in merged], now=now, on_conflict="report")
    counts = dict.fromkeys(AddStatus, 0)
    for entry, outcome in zip(merged, outcomes, strict=True):
        counts[outcome.status] += 1
        if outcome.status is AddStatus.CONFLICT:
            problems.append(
                f"{entry.ref}: signal {outcome.signal_id!r} is already stored with other "
                f"content ({outcome.detail}); line skipped"
            )
    activities = [a.activity for a in batch.activities]
    added_activity = store.add_activity(activities, dedupe=True)
    return ImportReport(
        files=batch.files,
        lines=batch.lines,
        added=counts[AddStatus.ADDED],
        closed=counts[AddStatus.CLOSED],
        unchanged=counts[AddStatus.UNCHANGED],
        activity_added=added_activity,
        activity_unchanged=len(activities) - added_activity,
        problems=problems,
        warnings=warnings,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportReport:
    directory: str
    files: dict[str, int]  # file name → lines written


class LegacyReader(Protocol):
    def __call__(
        self, paths: Iterable[Path], *, zone: tzinfo, defaults: SignalDefaults
    ) -> LegacyBatch:
        """Parse the files (or the known files inside folders); nothing is stored."""
        ...


class LegacyWriter(Protocol):
    def __call__(
        self,
        directory: Path,
        records: Iterable[SignalRecord],
        activities: Iterable[Activity],
        *,
        zone: tzinfo,
        aware: bool,
    ) -> ExportReport:
        """Write the three kinds of files into `directory` (each replaced atomically)."""
        ...


class LegacyService:
    """Import and export of the old files, for every caller (CLI, Tracker, bot, API)."""

    def __init__(
        self,
        store: SignalStore,
        *,
        read: LegacyReader,
        write: LegacyWriter,
        defaults: SignalDefaults,
        zone: tzinfo,
    ) -> None:
        self.store = store
        self._read = read
        self._write = write
        self.defaults = defaults
        self.zone = zone

    def import_files(
        self, paths: Sequence[Path], *, now: datetime, zone: tzinfo | None = None
    ) -> ImportReport:
        """Import the files (naive times read in `zone`, default the display zone); safe
        to repeat."""
        batch = self._read(paths, zone=zone or self.zone, defaults=self.defaults)
        if not batch.files:  # nothing named was an old tracker file: bad input, not a no-op
            found = "; ".join(p.removesuffix("; skipped") for p in batch.problems)
            raise InvalidInput("paths", f"no old tracker file to import ({found or 'got none'})")
        return import_legacy(self.store, batch, now=now)

    def export_files(
        self, directory: Path, *, zone: tzinfo | None = None, aware: bool = False
    ) -> ExportReport:
        """Write every signal and command as the old files (naive times in `zone`, default
        the display zone, unless `aware`)."""
        records = self.store.list_signals(oldest_first=True)
        return self._write(directory, records, self.store.list_activity(),
                           zone=zone or self.zone, aware=aware)  # fmt: skip
