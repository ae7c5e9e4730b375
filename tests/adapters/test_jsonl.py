"""The old tracker's files: import with every problem reported, export in the same form."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from factories import settings_for
from sigtrack import Tracker
from sigtrack.core.errors import InvalidInput
from sigtrack.core.render.signals import record_json
from sigtrack.core.signals import Result, Status

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
OLD_ACTIVE = {
    "signal_id": "123456_BTCUSDT_1771212600",
    "user_id": 123456,
    "symbol": "BTCUSDT",
    "timeframe": "15m",
    "signal_type": "LONG",
    "entry_price": 50000,
    "tp1": 51000,
    "tp2": 52000,
    "sl": 49000,
    "status": "ACTIVE",
    "timestamp": "2026-02-16T10:30:00",
}
OLD_COMPLETED = OLD_ACTIVE | {
    "status": "CLOSED",
    "result": "WIN",
    "pnl_percent": 2.5,
    "closed_at": "2026-02-16T12:15:00",
}


def write_lines(path: Path, lines: list[object]) -> Path:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def old_signal(n: int, **changes: object) -> dict[str, object]:
    base = OLD_ACTIVE | {"signal_id": f"99_ETHUSDT_{1771212600 + n}", "symbol": "ETHUSDT"}
    return base | {"entry_price": 3000, "tp1": 3060, "tp2": 3120, "sl": 2940} | changes


@pytest.fixture
def old_logs(tmp_path: Path) -> Path:
    logs = tmp_path / "signal_logs"
    logs.mkdir()
    write_lines(logs / "active_signals.jsonl", [OLD_ACTIVE, old_signal(1), old_signal(2)])
    write_lines(
        logs / "completed_signals.jsonl",
        [
            OLD_COMPLETED,
            old_signal(3, status="CLOSED", result="LOSS", pnl_percent=-2.0,
                       closed_at="2026-02-16T11:00:00"),
            old_signal(3, status="CLOSED", result="LOSS", pnl_percent=-2.0,
                       closed_at="2026-02-16T11:00:00"),  # the same line twice
            old_signal(4, status="CLOSED", result="WIN", pnl_percent=None, tp2=None,
                       closed_at="2026-02-16T13:00:00Z"),
            '{"signal_id": "99_ETHUSDT_1771212605", "symbol": "ETH',  # cut by a crash
            old_signal(6, sl=3100),
            old_signal(7, entry_price=0),
            ["not", "an", "object"],
        ],
    )  # fmt: skip
    write_lines(
        logs / "prompts_2026-02-16.jsonl",
        [
            {"timestamp": "2026-02-16T09:00:00.123456", "user_id": 5, "username": "budi",
             "command": "/signal", "symbol": "BTCUSDT", "timeframe": "15m"},
            {"timestamp": "2026-02-16T09:05:00", "user_id": 6, "username": None,
             "command": "/winrate", "symbol": None, "timeframe": None},
            "{broken",
        ],
    )  # fmt: skip
    return logs


def test_old_files_import_with_naive_times_read_in_jakarta(
    sqlite_tracker: Tracker, old_logs: Path
) -> None:
    report = sqlite_tracker.import_jsonl([old_logs], now=NOW)
    assert (report.added, report.closed, report.unchanged) == (5, 0, 0)
    record = sqlite_tracker.get("123456_BTCUSDT_1771212600")
    assert record.status is Status.CLOSED and record.result is Result.WIN
    assert record.signal.created_at == datetime(2026, 2, 16, 3, 30, tzinfo=UTC)
    assert record.closed_at == datetime(2026, 2, 16, 5, 15, tzinfo=UTC)
    assert record.pnl_pct == 2.5 and record.signal.receivers == (123456,)
    aware = sqlite_tracker.get("99_ETHUSDT_1771212604")
    assert aware.closed_at == datetime(2026, 2, 16, 13, 0, tzinfo=UTC)  # "Z" honoured
    assert aware.signal.tp2 is None and aware.pnl_pct is None
    assert sqlite_tracker.get("99_ETHUSDT_1771212601").status is Status.ACTIVE


def test_every_bad_line_is_reported_by_file_and_line_and_the_rest_imports(
    sqlite_tracker: Tracker, old_logs: Path
) -> None:
    report = sqlite_tracker.import_jsonl([old_logs], now=NOW)
    completed = old_logs / "completed_signals.jsonl"
    prompts = old_logs / "prompts_2026-02-16.jsonl"
    problems = "\n".join(report.problems)
    assert f"{completed}:5: not valid JSON" in problems
    assert f"{completed}:6: sl: must be below entry" in problems
    assert f"{completed}:7: entry: must be greater than 0" in problems
    assert f"{completed}:8: expected a JSON object" in problems
    assert f"{prompts}:3: not valid JSON" in problems
    assert len(report.problems) == 5
    assert report.activity_added == 2


def test_importing_the_same_files_twice_adds_nothing(
    sqlite_tracker: Tracker, old_logs: Path
) -> None:
    sqlite_tracker.import_jsonl([old_logs], now=NOW)
    again = sqlite_tracker.import_jsonl([old_logs], now=NOW)
    assert (again.added, again.closed, again.unchanged) == (0, 0, 5)
    assert again.activity_added == 0 and again.activity_unchanged == 2
    assert len(sqlite_tracker.list()) == 5


def test_a_signal_closed_later_by_the_old_tracker_is_closed_on_a_second_import(
    sqlite_tracker: Tracker, tmp_path: Path
) -> None:
    write_lines(tmp_path / "active_signals.jsonl", [OLD_ACTIVE])
    sqlite_tracker.import_jsonl([tmp_path / "active_signals.jsonl"], now=NOW)
    write_lines(tmp_path / "completed_signals.jsonl", [OLD_COMPLETED])
    report = sqlite_tracker.import_jsonl([tmp_path], now=NOW)
    assert (report.added, report.closed, report.unchanged) == (0, 1, 0)
    assert sqlite_tracker.get(OLD_ACTIVE["signal_id"]).result is Result.WIN  # type: ignore[arg-type]


def test_a_known_id_with_other_levels_is_reported_not_overwritten(
    sqlite_tracker: Tracker, tmp_path: Path
) -> None:
    write_lines(tmp_path / "active_signals.jsonl", [OLD_ACTIVE])
    sqlite_tracker.import_jsonl([tmp_path], now=NOW)
    write_lines(tmp_path / "active_signals.jsonl", [OLD_ACTIVE | {"sl": 48000}])
    report = sqlite_tracker.import_jsonl([tmp_path], now=NOW)
    assert report.added == 0
    assert "active_signals.jsonl:1:" in report.problems[0] and "stop" in report.problems[0]
    assert sqlite_tracker.get(OLD_ACTIVE["signal_id"]).signal.stop == 49000  # type: ignore[arg-type]


def test_the_import_zone_can_be_chosen(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    write_lines(tmp_path / "active_signals.jsonl", [OLD_ACTIVE])
    sqlite_tracker.import_jsonl([tmp_path], tz="UTC", now=NOW)
    created = sqlite_tracker.get(OLD_ACTIVE["signal_id"]).signal.created_at  # type: ignore[arg-type]
    assert created == datetime(2026, 2, 16, 10, 30, tzinfo=UTC)


def test_unknown_files_are_reported_not_guessed(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    notes = write_lines(tmp_path / "notes.jsonl", [OLD_ACTIVE])
    refused = r"^paths: no old tracker file to import \(.*notes\.jsonl: not an old tracker file"
    with pytest.raises(InvalidInput, match=refused):
        sqlite_tracker.import_jsonl([notes], now=NOW)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no old tracker files in this folder"):
        sqlite_tracker.import_jsonl([tmp_path / "empty"], now=NOW)
    write_lines(tmp_path / "active_signals.jsonl", [OLD_ACTIVE])
    report = sqlite_tracker.import_jsonl([notes, tmp_path / "active_signals.jsonl"], now=NOW)
    assert report.added == 1 and "not an old tracker file" in report.problems[0]  # one of two
    assert sqlite_tracker.get(OLD_ACTIVE["signal_id"]) is not None


def test_export_writes_the_old_files_with_the_old_keys(
    sqlite_tracker: Tracker, old_logs: Path, tmp_path: Path
) -> None:
    sqlite_tracker.import_jsonl([old_logs], now=NOW)
    sqlite_tracker.track_command(7, "ani", "/signal", "SOLUSDT", "1h", now=NOW)
    out = tmp_path / "export"
    report = sqlite_tracker.export_jsonl(out)
    assert report.files["active_signals.jsonl"] == 2
    assert report.files["completed_signals.jsonl"] == 3
    assert report.files["prompts_2026-02-16.jsonl"] == 2
    assert report.files["prompts_2026-11-23.jsonl"] == 1  # 12:00 in Jakarta
    completed = [json.loads(x) for x in (out / "completed_signals.jsonl").read_text().splitlines()]
    first = next(c for c in completed if c["signal_id"] == OLD_COMPLETED["signal_id"])
    for key, value in OLD_COMPLETED.items():
        assert first[key] == value, key
    prompts = (out / "prompts_2026-02-16.jsonl").read_text().splitlines()
    assert json.loads(prompts[0])["timestamp"] == "2026-02-16T09:00:00.123456"


def snapshot(tracker: Tracker) -> tuple[list[dict[str, object]], list[object]]:
    zone = tracker.settings.zone
    signals = sorted(
        (record_json(r, zone) for r in tracker.list()), key=lambda r: str(r["signal_id"])
    )
    return signals, list(tracker._app.store.list_activity())


def test_import_export_import_gives_the_same_database_content(
    old_logs: Path, tmp_path: Path
) -> None:
    with Tracker.open(settings=settings_for(f"sqlite:///{tmp_path / 'a.db'}")) as first:
        first.import_jsonl([old_logs], now=NOW)
        first.track(
            {"symbol": "SOLUSDT", "side": "SHORT", "timeframe": "1h", "entry": 200, "targets":
             [196, 192, 188], "sl": 204, "confidence": 77.5, "reasons": ["Supply zone"],
             "strategy": "v3", "created_at": "2026-11-20T01:02:03.456789+00:00"},
            receivers=[1, 2, 3], now=NOW,
        )  # fmt: skip
        first.export_jsonl(tmp_path / "export")
        before = snapshot(first)
    with Tracker.open(settings=settings_for(f"sqlite:///{tmp_path / 'b.db'}")) as second:
        report = second.import_jsonl([tmp_path / "export"], now=NOW)
        assert report.problems == []
        assert snapshot(second) == before
