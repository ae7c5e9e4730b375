"""`sigtrack backup`, `backup --verify` and `restore` end to end on a folder target."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from e2e_support import Cli, file_signal, one_error_line, run_quiet, write_lines

from sigtrack.core.backups import backup_id, backup_time

AS_OF = "2026-01-12T12:00:00"
WINDOW = ("--since", "2026-01-01", "--until", "2026-02-01")


def fill(url: str, folder: Path) -> None:
    """Signals won, lost, open and cancelled, with receivers and a logged command."""
    created = ["2026-01-08T10:00:00+07:00", "2026-01-09T10:00:00+07:00",
               "2026-01-10T10:00:00+07:00", "2026-01-11T10:00:00+07:00",
               "2026-01-09T12:00:00+07:00"]  # fmt: skip
    lines = [file_signal(created_at=c, symbol=s, receivers=[1, 2])
             for c, s in zip(created, ["BTCUSDT", "ETHUSDT", "BTCUSDT", "SOLUSDT", "ETHUSDT"],
                             strict=True)]  # fmt: skip
    ids = run_quiet(url, "track", "--file", write_lines(folder / "s.jsonl", lines)).split()
    for signal_id, result, pnl in [(ids[0], "win", "2.5"), (ids[1], "win", "1.5"),
                                   (ids[2], "loss", "-2.2")]:  # fmt: skip
        run_quiet(url, "close", signal_id, "--result", result, "--pnl", pnl)
    run_quiet(url, "cancel", ids[4])


def numbers(cli: Cli) -> list[object]:
    return [
        cli("winrate", "--days", "7", "--as-of", AS_OF, "--json").json(),
        cli("stats", "--by", "symbol", *WINDOW, "--min-n", "1", "--json").json(),
        cli("stats", "--by", "side", *WINDOW, "--json").json(),
        cli("list", "--json").json(),
    ]


@pytest.fixture
def source(cli: Cli, tmp_path: Path) -> Cli:
    fill(cli.db_url, tmp_path)
    return cli


def only_backup(folder: Path) -> Path:
    (found,) = [p for p in folder.iterdir() if backup_time(p.name)]
    return found


def test_a_backup_is_written_verified_and_holds_the_dump_the_jsonl_and_a_manifest(
    source: Cli, tmp_path: Path
) -> None:
    report = source("backup", "--to", tmp_path / "bk", "--json").json()
    assert report["ok"] is True and report["verify"] is True
    (target,) = report["targets"]
    assert target["verified"] is True and target["error"] is None
    assert target["location"] == str(tmp_path / "bk" / report["backup_id"])
    assert report["tables"]["signals"]["rows"] == 5
    folder = only_backup(tmp_path / "bk")
    assert folder.name == report["backup_id"]
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"manifest.json", "store.sqlite", "tables/signals.jsonl.gz",
            "jsonl/active_signals.jsonl", "jsonl/completed_signals.jsonl"} <= names  # fmt: skip
    assert not [p for p in (tmp_path / "bk").iterdir() if p.name.startswith(".")]
    text = source("backup", "--to", tmp_path / "bk2").out
    assert "written and verified" in text


def test_verify_passes_on_the_newest_and_on_one_named_backup(source: Cli, tmp_path: Path) -> None:
    source("backup", "--to", tmp_path / "bk")
    folder = only_backup(tmp_path / "bk")
    assert "verified" in source("backup", "--verify", tmp_path / "bk").out
    named = source("backup", "--verify", folder, "--json").json()
    assert named["ok"] is True and named["backup_id"] == folder.name
    assert named["tables"]["signals"]["rows"] == 5 and named["source_backend"] == "sqlite"


@pytest.mark.parametrize(
    "damaged", ["tables/signals.jsonl.gz", "store.sqlite", "jsonl/active_signals.jsonl"]
)
def test_one_byte_changed_fails_verification_naming_the_file(
    source: Cli, tmp_path: Path, damaged: str
) -> None:
    source("backup", "--to", tmp_path / "bk")
    path = only_backup(tmp_path / "bk") / damaged
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    run = source("backup", "--verify", tmp_path / "bk", code=1)
    assert "verification FAILED" in run.err and f"file {damaged}: sha256 must be" in run.err
    report = source("backup", "--verify", tmp_path / "bk", "--json", code=1).json()
    assert report["ok"] is False and damaged in report["problems"][0]
    # and a damaged backup is not restored
    fresh = Cli(f"sqlite:///{tmp_path / 'fresh.db'}", source._capsys)
    assert damaged in one_error_line(fresh("restore", tmp_path / "bk", code=1).err)
    assert fresh("list", "--json").json() == []


def test_a_restore_into_an_empty_store_gives_the_sources_numbers(
    source: Cli, tmp_path: Path
) -> None:
    source("backup", "--to", tmp_path / "bk")
    copy = Cli(f"sqlite:///{tmp_path / 'copy.db'}", source._capsys)
    text = copy("restore", tmp_path / "bk").out
    assert "restored sigtrack-" in text and "signals 5" in text
    assert numbers(copy) == numbers(source)


@pytest.mark.postgres
def test_a_postgresql_backup_restores_into_sqlite_and_back(pg_cli: Cli, tmp_path: Path) -> None:
    fill(pg_cli.db_url, tmp_path)
    report = pg_cli("backup", "--to", tmp_path / "bk", "--json").json()
    assert report["ok"] is True
    assert not (only_backup(tmp_path / "bk") / "store.sqlite").exists()
    copy = Cli(f"sqlite:///{tmp_path / 'copy.db'}", pg_cli._capsys)
    restored = copy("restore", only_backup(tmp_path / "bk"), "--json").json()
    assert restored["source_backend"] == "postgresql"
    assert numbers(copy) == numbers(pg_cli)
    # and that SQLite copy, backed up, restores over the PostgreSQL store
    copy("backup", "--to", tmp_path / "bk2")
    pg_cli("restore", tmp_path / "bk2", "--force")
    assert numbers(pg_cli) == numbers(copy)
    pg_cli("track", "--symbol", "ADAUSDT", "--side", "LONG", "--timeframe", "1h",
           "--entry", "1", "--tp1", "1.1", "--sl", "0.9")  # fmt: skip
    assert len(pg_cli("list", "--json").json()) == 6


def test_a_store_that_holds_signals_is_refused_without_force(source: Cli, tmp_path: Path) -> None:
    source("backup", "--to", tmp_path / "bk")
    before = numbers(source)
    source("track", "--symbol", "ADAUSDT", "--side", "LONG", "--timeframe", "1h",
           "--entry", "1", "--tp1", "1.1", "--sl", "0.9")  # fmt: skip
    line = one_error_line(source("restore", tmp_path / "bk", code=1).err)
    assert "not empty" in line and "signals: 6" in line and "--force" in line
    assert len(source("list", "--json").json()) == 6
    source("restore", tmp_path / "bk", "--force")
    assert numbers(source) == before


def test_the_default_targets_come_from_the_environment_and_a_failed_one_spares_the_others(
    source: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SIGTRACK_BACKUP_TO", f"{blocker},{tmp_path / 'good'}")
    report = source("backup", "--json", code=1).json()
    bad, good = report["targets"]
    assert report["ok"] is False
    assert bad["error"].startswith(str(blocker)) and bad["location"] is None
    assert good["verified"] is True and good["error"] is None
    assert only_backup(tmp_path / "good").name == report["backup_id"]
    assert "FAILED" in source("backup", code=1).err


def test_with_no_target_the_backup_goes_to_the_data_folder_and_a_target_must_be_a_folder_or_s3(
    source: Cli, tmp_path: Path
) -> None:
    report = source("backup", "--json").json()
    (target,) = report["targets"]
    assert report["ok"] is True and target["target"] == str(Path("signal_logs") / "backups")
    assert only_backup(Path.cwd() / "signal_logs" / "backups").is_dir()
    line = one_error_line(source("backup", "--to", "ftp://example/x", code=2).err)
    assert line.startswith("error: --to:") and "ftp://example/x" in line
    empty = one_error_line(source("backup", "--verify", tmp_path / "nothing-here", code=1).err)
    assert empty == f"error: {tmp_path / 'nothing-here'}: holds no complete backup"


def test_without_verification_a_backup_is_written_but_nothing_is_deleted(
    source: Cli, tmp_path: Path
) -> None:
    source("backup", "--to", tmp_path / "bk")
    old = only_backup(tmp_path / "bk")
    # two old backups (renamed: a second backup in the same second would take the same id)
    shutil.copytree(old, tmp_path / "bk" / backup_id(datetime(2020, 1, 2, tzinfo=UTC)))
    old.rename(tmp_path / "bk" / backup_id(datetime(2020, 1, 1, tzinfo=UTC)))
    report = source("backup", "--to", tmp_path / "bk", "--no-verify", "--json").json()
    (target,) = report["targets"]
    assert report["ok"] is True and target["verified"] is False and target["deleted"] == []
    assert len([p for p in (tmp_path / "bk").iterdir()]) == 3


def test_retention_keeps_the_newest_of_7_days_and_of_4_iso_weeks(
    source: Cli, tmp_path: Path
) -> None:
    source("backup", "--to", tmp_path / "seed")
    seed = only_backup(tmp_path / "seed")
    now = datetime.now(UTC)
    older = [backup_id(now - timedelta(days=d)) for d in range(1, 41)]
    for name in older:
        shutil.copytree(seed, tmp_path / "bk" / name)
    report = source("backup", "--to", tmp_path / "bk", "--json").json()
    (target,) = report["targets"]
    every = sorted([*older, report["backup_id"]])
    zone = ZoneInfo("Asia/Jakarta")

    def local(name: str) -> datetime:
        at = backup_time(name)
        assert at is not None
        return at.astimezone(zone)

    newest_of_week: dict[tuple[int, int], str] = {}
    for name in every:  # oldest first: the last one seen of a week is its newest
        newest_of_week[local(name).isocalendar()[:2]] = name
    weekly = set(sorted(newest_of_week.values())[-4:])
    expected = set(every[-7:]) | weekly
    assert set(target["kept"]) == expected
    assert set(target["deleted"]) == set(every) - expected
    on_disk = {p.name for p in (tmp_path / "bk").iterdir()}
    assert on_disk == expected
    assert 7 <= len(on_disk) <= 11
