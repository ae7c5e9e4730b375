"""Bringing the old tracker's JSONL history in: merge the file kinds, store, report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sigtrack.core.records import (
    Activity,
)
from sigtrack.core.signals import (
    same_content,
)
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
