"""Backups in a local folder (a mounted disk, a synced "G: drive" folder): one
sub-folder per backup, written under a temporary name and renamed when whole."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

from sigtrack.core.backups import MANIFEST_NAME
from sigtrack.core.errors import BackupError, BackupNotFound

_PARTIAL = ".partial-"  # `.<id>.partial-<random>`: hidden, never listed
_STALE_S = 6 * 3600.0


class FolderTarget:
    """`BackupTarget` on a folder: `<root>/<backup_id>/…`, manifest.json inside.

    A backup is copied into `<root>/.<id>.partial-…` (manifest last, every file synced) and
    then renamed to `<root>/<id>`, one atomic step on the same file system, so a backup
    folder is whole or absent; a crash leaves only a hidden partial folder, removed by a
    later write."""

    def __init__(self, root: Path) -> None:
        self._root = root.expanduser()

    @property
    def name(self) -> str:
        return str(self._root)

    def write(self, backup_id: str, folder: Path) -> str:
        final = self._root / backup_id
        partial = self._root / f".{backup_id}{_PARTIAL}{uuid.uuid4().hex[:8]}"
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            self._remove_partials()
            if final.exists():
                raise BackupError(f"{self.name}: a backup {backup_id} is already there")
            files = sorted(p for p in folder.rglob("*") if p.is_file())
            # the manifest last: a folder with one is complete
            files.sort(key=lambda p: p.relative_to(folder).as_posix() == MANIFEST_NAME)
            for source in files:
                target = partial / source.relative_to(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                _sync(target)
            _sync_dir(partial)
            partial.rename(final)
            _sync_dir(self._root)
        except BackupError:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise BackupError(f"{self.name}: could not write backup {backup_id}: {exc}") from exc
        return str(final)

    def list(self) -> list[str]:
        if not self._root.is_dir():
            return []
        try:
            found = [
                entry.name
                for entry in self._root.iterdir()
                if not entry.name.startswith(".") and (entry / MANIFEST_NAME).is_file()
            ]
        except OSError as exc:
            raise BackupError(f"{self.name}: could not list the backups: {exc}") from exc
        return sorted(found)

    def fetch(self, backup_id: str, into: Path) -> Path:
        source = self._root / backup_id
        if backup_id.startswith(".") or not (source / MANIFEST_NAME).is_file():
            raise BackupNotFound(f"{self.name}: no complete backup {backup_id!r}")
        try:
            shutil.copytree(source, into, dirs_exist_ok=True)
        except OSError as exc:
            raise BackupError(f"{self.name}: could not read backup {backup_id}: {exc}") from exc
        return into

    def delete(self, backup_id: str) -> None:
        source = self._root / backup_id
        if backup_id.startswith(".") or not source.is_dir():
            return
        try:
            (source / MANIFEST_NAME).unlink(missing_ok=True)  # no longer a backup from here
            shutil.rmtree(source)
        except OSError as exc:
            raise BackupError(f"{self.name}: could not delete backup {backup_id}: {exc}") from exc

    def _remove_partials(self) -> None:
        """Partial folders a crashed write left (old ones only: another process may be
        writing one now)."""
        cutoff = time.time() - _STALE_S
        for entry in self._root.iterdir():
            is_partial = entry.name.startswith(".") and _PARTIAL in entry.name
            if is_partial and entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)


def _sync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _sync_dir(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # some file systems (Windows) do not open folders
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
