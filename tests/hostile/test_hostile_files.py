"""Hostile paths to the file commands: import of what is not an old tracker file, export and
backup written only where asked, restore of junk refused; the store unchanged throughout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_support import Cli, one_error_line
from hostile_support import Store


@pytest.fixture
def cli(store: Store, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(store.url, capsys)


def make_hostile_files(root: Path) -> dict[str, Path]:
    root.mkdir()
    binary = root / "active_signals.jsonl"
    binary.write_bytes(b"\x00\xff\xfe{not json\n" + os.urandom(256) + b"\n")
    link = root / "link" / "completed_signals.jsonl"
    link.parent.mkdir()
    link.symlink_to("/etc/passwd")
    (root / "empty").mkdir()
    return {"binary": binary, "link": link, "passwd": Path("/etc/passwd"), "empty": root / "empty"}


@pytest.mark.parametrize("which", ["binary", "link", "passwd", "empty"])
def test_import_of_what_is_not_an_old_tracker_file_names_it_and_stores_nothing(
    cli: Cli, store: Store, tmp_path: Path, which: str
) -> None:
    path = make_hostile_files(tmp_path / "in")[which]
    if which in {"binary", "link"}:  # an old tracker file's name: read, bad lines skipped
        run = cli("import-jsonl", path)
        assert "0 signal(s) added" in run.out and str(path) in run.err, run.err
    else:  # nothing to import at all: bad input, exit 2 naming the argument and the path
        line = one_error_line(cli("import-jsonl", path, code=2).err)
        assert (
            line.startswith("error: paths: no old tracker file to import (") and str(path) in line
        )
    store.assert_unchanged()


@pytest.mark.parametrize("path", ["../../../../no/such/dir", "/no/such/active_signals.jsonl"])
def test_import_of_a_missing_path_exits_2_naming_it(cli: Cli, store: Store, path: str) -> None:
    line = one_error_line(cli("import-jsonl", path, code=2).err)
    assert line.startswith("error: paths: ") and path in line
    store.assert_unchanged()


def test_export_jsonl_writes_only_the_three_files_where_asked(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    target = tmp_path / "a" / ".." / "out"
    target.mkdir(parents=True)
    before = {p for p in tmp_path.rglob("*")}
    cli("export-jsonl", target)
    written = {p for p in tmp_path.rglob("*")} - before
    assert written and all(p.parent == target.resolve() for p in written), written
    assert {p.name for p in written} <= {"active_signals.jsonl", "completed_signals.jsonl"} | {
        p.name for p in written if p.name.startswith("prompts_")
    }
    store.assert_unchanged()


@pytest.mark.parametrize("make", ["file", "unwritable"])
def test_export_to_a_place_it_cannot_write_exits_2_naming_the_option(
    cli: Cli, store: Store, tmp_path: Path, make: str
) -> None:
    if make == "file":
        (tmp_path / "taken").write_text("x")
        out, jsonl_dir = tmp_path / "taken" / "x.csv", tmp_path / "taken"
    else:
        out, jsonl_dir = Path("/proc/sigtrack/x.csv"), Path("/proc/sigtrack")
    line = one_error_line(cli("export", "--out", out, "--format", "csv", code=2).err)
    assert line.startswith(("error: --out: ", "error: out: ")), line
    line = one_error_line(cli("export-jsonl", jsonl_dir, code=2).err)
    assert line.startswith("error: directory: "), line
    store.assert_unchanged()


@pytest.mark.parametrize(
    "where", ["s3://", "s3://a", "s3://bucket/../etc", "s3://bucket/%2e%2e/x", "ftp://host/x",
              "s3://bucket/<script>"],
)  # fmt: skip
def test_backup_and_restore_of_s3_junk_exit_2_naming_the_target(
    cli: Cli, store: Store, where: str
) -> None:
    backup = one_error_line(cli("backup", "--to", where, code=2).err)
    assert backup.startswith(("error: --to: ", "error: backup_to: ")), backup
    restore = one_error_line(cli("restore", where, "--force", code=2).err)
    assert restore.startswith("error: FILE_OR_URL: "), restore
    if where.startswith("s3://"):  # malformed: refused before any backup is looked for
        verify = one_error_line(cli("backup", "--verify", where, code=2).err)
        assert verify.startswith("error: FILE_OR_URL: "), verify
    store.assert_unchanged()


@pytest.mark.parametrize("where", ["../../etc", "/etc/passwd", "/no/such/backup"])
def test_restore_of_a_path_that_holds_no_backup_is_refused_in_one_line(
    cli: Cli, store: Store, where: str
) -> None:
    line = one_error_line(cli("restore", where, "--force", code=2).err)
    assert line.startswith("error: FILE_OR_URL: ") and "holds no complete backup" in line, line
    store.assert_unchanged()


def test_a_backup_through_a_dotdot_path_lands_exactly_there_and_nowhere_else(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    """The CLI's policy: a user may back up wherever they can write; `..` is resolved, not
    refused, and nothing is written beside the target."""
    (tmp_path / "cwd" / "deep").mkdir()
    os.chdir(tmp_path / "cwd" / "deep")
    before = set(tmp_path.rglob("*"))
    cli("backup", "--to", "../../backups", "--no-verify")
    written = set(tmp_path.rglob("*")) - before
    assert written and all(tmp_path / "backups" in p.parents or p == tmp_path / "backups"
                           for p in written), written  # fmt: skip
    store.assert_unchanged()
