"""Merging the old file kinds: a completed line beats an active one; conflicts are named."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fakes import FakeStore

from sigtrack.core.records import (
    Closing,
)
from sigtrack.core.signals import (
    ExitReason,
    Result,
    Signal,
    Status,
)
from sigtrack.services.legacy import (
    FileKind,
    LegacyBatch,
    LegacySignal,
    LineRef,
    import_legacy,
)
from sigtrack.services.ports import NewSignal

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
SIGNAL = Signal(
    signal_id="1_BTCUSDT_1", symbol="BTCUSDT", side="LONG", timeframe="15m",  # type: ignore[arg-type]
    entry=100.0, targets=(102.0, 104.0), stop=98.0, created_at=NOW - timedelta(days=1),
)  # fmt: skip
WIN = Closing(result=Result.WIN, exit_reason=ExitReason.MANUAL, closed_at=NOW, pnl_pct=2.0)


def line(n: int, kind: FileKind, closing: Closing | None = None, **changes: object) -> LegacySignal:
    return LegacySignal(
        ref=LineRef(f"{kind}.jsonl", n),
        kind=kind,
        item=NewSignal(signal=replace(SIGNAL, **changes), closing=closing, actor="import"),  # type: ignore[arg-type]
    )


def test_a_signal_in_both_files_imports_as_completed() -> None:
    store = FakeStore()
    batch = LegacyBatch(signals=[line(1, FileKind.ACTIVE), line(1, FileKind.COMPLETED, WIN)])
    report = import_legacy(store, batch, now=NOW)
    assert report.added == 1 and report.problems == []
    assert store.get("1_BTCUSDT_1").status is Status.CLOSED


def test_the_completed_version_wins_whatever_the_order() -> None:
    store = FakeStore()
    batch = LegacyBatch(signals=[line(1, FileKind.COMPLETED, WIN), line(1, FileKind.ACTIVE)])
    import_legacy(store, batch, now=NOW)
    assert store.get("1_BTCUSDT_1").result is Result.WIN


def test_the_same_id_with_other_levels_is_reported_with_both_lines() -> None:
    store = FakeStore()
    batch = LegacyBatch(signals=[line(1, FileKind.ACTIVE), line(7, FileKind.ACTIVE, stop=97.0)])
    report = import_legacy(store, batch, now=NOW)
    assert report.added == 1
    assert report.problems == [
        "active.jsonl:7: signal '1_BTCUSDT_1' differs from active.jsonl:1 in stop; kept the first"
    ]


def test_two_different_closings_of_one_signal_are_reported() -> None:
    loss = replace(WIN, result=Result.LOSS, pnl_pct=-2.0)
    batch = LegacyBatch(
        signals=[line(1, FileKind.COMPLETED, WIN), line(2, FileKind.COMPLETED, loss)]
    )
    report = import_legacy(FakeStore(), batch, now=NOW)
    assert "closed differently" in report.problems[0]


def test_problems_found_while_reading_are_kept_in_the_report() -> None:
    batch = LegacyBatch(problems=["x.jsonl:3: not valid JSON"], warnings=["x.jsonl:4: note"])
    report = import_legacy(FakeStore(), batch, now=NOW)
    assert report.problems == ["x.jsonl:3: not valid JSON"]
    assert report.warnings == ["x.jsonl:4: note"]


def test_repeated_lines_and_signals_in_both_files_are_noted_not_silently_merged() -> None:
    batch = LegacyBatch(
        signals=[
            line(3, FileKind.ACTIVE),
            line(5, FileKind.COMPLETED, WIN),
            line(6, FileKind.COMPLETED, WIN),
        ]
    )
    report = import_legacy(FakeStore(), batch, now=NOW)
    assert report.warnings == [
        "completed.jsonl:5: closes the open signal of active.jsonl:3; kept closed",
        "completed.jsonl:6: repeats completed.jsonl:5; counted once",
    ]
