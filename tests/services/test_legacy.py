"""Merging the old file kinds: a completed line beats an active one; conflicts are named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from fakes import FakeStore

from sigtrack.core.records import (
    Activity,
    Closing,
    SignalRecord,
)
from sigtrack.core.signals import (
    ExitReason,
    Result,
    Signal,
    SignalDefaults,
    Status,
)
from sigtrack.services.legacy import (
    ExportReport,
    FileKind,
    LegacyBatch,
    LegacyService,
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


def test_the_legacy_service_reads_in_the_display_zone_unless_told_and_stores_what_it_read() -> None:
    jakarta, kolkata = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Kolkata")
    seen: list[tuple[list[Path], tzinfo]] = []

    def read(paths: Iterable[Path], *, zone: tzinfo, defaults: SignalDefaults) -> LegacyBatch:
        seen.append((list(paths), zone))
        return LegacyBatch(files=["active_signals.jsonl"], lines=1,
                           signals=[line(1, FileKind.ACTIVE)])  # fmt: skip

    store = FakeStore()
    service = LegacyService(store, read=read, write=_no_writer, defaults=SignalDefaults(),
                            zone=jakarta)  # fmt: skip
    first = service.import_files([Path("old")], now=NOW)
    again = service.import_files([Path("old")], now=NOW, zone=kolkata)
    assert seen == [([Path("old")], jakarta), ([Path("old")], kolkata)]
    assert (first.added, again.added, again.unchanged) == (1, 0, 1)
    assert [r.signal.signal_id for r in store.list_signals()] == ["1_BTCUSDT_1"]


def test_the_legacy_service_hands_the_writer_every_signal_oldest_first_and_every_command() -> None:
    store = FakeStore()
    later = replace(SIGNAL, signal_id="1_BTCUSDT_2", created_at=NOW - timedelta(hours=1))
    store.add_signals([NewSignal(signal=later), NewSignal(signal=SIGNAL)], now=NOW)
    store.add_activity([Activity(at=NOW, user_id=7, username="u", command="/winrate",
                                 symbol=None, timeframe=None)])  # fmt: skip
    written: list[tuple[Path, list[str], int, tzinfo, bool]] = []

    def write(
        directory: Path,
        records: Iterable[SignalRecord],
        activities: Iterable[Activity],
        *,
        zone: tzinfo,
        aware: bool,
    ) -> ExportReport:
        ids = [r.signal.signal_id or "" for r in records]
        written.append((directory, ids, len(list(activities)), zone, aware))
        return ExportReport(directory=str(directory), files={"active_signals.jsonl": len(ids)})

    service = LegacyService(store, read=_no_reader, write=write, defaults=SignalDefaults(),
                            zone=UTC)  # fmt: skip
    report = service.export_files(Path("out"), aware=True)
    assert written == [(Path("out"), ["1_BTCUSDT_1", "1_BTCUSDT_2"], 1, UTC, True)]
    assert report.files == {"active_signals.jsonl": 2}


def _no_reader(paths: Iterable[Path], *, zone: tzinfo, defaults: SignalDefaults) -> LegacyBatch:
    raise AssertionError("nothing is read here")


def _no_writer(
    directory: Path,
    records: Iterable[SignalRecord],
    activities: Iterable[Activity],
    *,
    zone: tzinfo,
    aware: bool,
) -> ExportReport:
    raise AssertionError("nothing is written here")
