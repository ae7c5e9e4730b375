"""BackupService across targets: one failing or corrupting target never costs the others
their backup, and an unverified copy is never followed by retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import bot_signal, settings_for
from sigtrack.bootstrap import App, build_app
from sigtrack.core.backups import MANIFEST_NAME, backup_id
from sigtrack.core.errors import BackupError, InvalidInput

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


class MemoryTarget:
    """A BackupTarget in memory; `flip` changes one byte of that file on every fetch, and
    `refuse` makes every write fail, as a server that is down would."""

    def __init__(self, name: str, *, flip: str | None = None, refuse: bool = False) -> None:
        self.name = name
        self.backups: dict[str, dict[str, bytes]] = {}
        self.deleted: list[str] = []
        self._flip, self._refuse = flip, refuse

    def write(self, backup_id: str, folder: Path) -> str:
        if self._refuse:
            raise BackupError(f"{self.name}: server unreachable")
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in folder.rglob("*") if p.is_file()}  # fmt: skip
        self.backups[backup_id] = files
        return f"{self.name}/{backup_id}"

    def list(self) -> list[str]:
        return sorted(b for b, files in self.backups.items() if MANIFEST_NAME in files)

    def fetch(self, backup_id: str, into: Path) -> Path:
        if backup_id not in self.backups:
            raise BackupError(f"{self.name}: no backup {backup_id!r}")
        for name, data in self.backups[backup_id].items():
            changed = bytes([data[0] ^ 1]) + data[1:] if name == self._flip else data
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            (into / name).write_bytes(changed)
        return into

    def delete(self, backup_id: str) -> None:
        self.backups.pop(backup_id, None)
        self.deleted.append(backup_id)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    built = build_app(settings_for(f"sqlite:///{tmp_path / 'x.db'}"))
    built.tracking.record(bot_signal(), now=NOW, receivers=(1, 2))
    yield built
    built.store.dispose()


def test_a_target_that_fails_is_reported_and_the_others_still_get_their_backup(
    app: App,
) -> None:
    down, good = MemoryTarget("s3://down", refuse=True), MemoryTarget("mem://good")
    report = app.backups.backup([down, good], now=NOW)
    assert not report.ok and report.backup_id == backup_id(NOW)
    failed, written = report.targets
    assert failed.error == "s3://down: server unreachable" and failed.location is None
    assert written.verified and written.error is None and good.list() == [report.backup_id]


def test_a_copy_that_comes_back_changed_is_not_verified_and_nothing_is_deleted(
    app: App,
) -> None:
    target = MemoryTarget("mem://flaky", flip="tables/signals.jsonl.gz")
    target.backups[backup_id(NOW - timedelta(days=90))] = {MANIFEST_NAME: b"{}"}
    report = app.backups.backup([target], now=NOW)
    (result,) = report.targets
    assert not report.ok and not result.verified
    assert (
        result.error is not None and "file tables/signals.jsonl.gz: sha256 must be" in result.error
    )
    assert target.deleted == [] and result.deleted == ()


def test_a_verified_backup_applies_retention_at_that_target(app: App) -> None:
    target = MemoryTarget("mem://t")
    for days in range(1, 20):
        app.backups.backup([target], now=NOW - timedelta(days=days), verify=False)
    report = app.backups.backup([target], now=NOW)
    (result,) = report.targets
    assert result.verified and len(result.kept) < 20 and set(result.deleted) == set(target.deleted)
    assert target.list() == list(result.kept)


def test_verify_and_restore_of_an_empty_target_say_so(app: App) -> None:
    with pytest.raises(BackupError, match="mem://empty: holds no complete backup"):
        app.backups.verify(MemoryTarget("mem://empty"))
    with pytest.raises(InvalidInput, match="SIGTRACK_BACKUP_TO"):
        app.backups.backup([], now=NOW)
