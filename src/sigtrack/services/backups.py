"""Backups that provably restore: dump the store, write it to each target, prove each copy
by restoring it into a scratch database, keep 7 daily and 4 weekly; and restore one."""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from sigtrack.core.backups import (
    MANIFEST_NAME,
    DumpSummary,
    FileDigest,
    Manifest,
    TableDigest,
    backup_id,
    compare_files,
    compare_tables,
    retain,
)
from sigtrack.core.errors import (
    BackupError,
    BackupNotFound,
    InvalidInput,
    SigtrackError,
    StateConflict,
)
from sigtrack.services.ports import BackupTarget

logger = logging.getLogger(__name__)

JSONL_DIR = "jsonl"  # the old tracker's files, inside each backup


class StoreDumper(Protocol):
    """A store's tables as a portable dump, and back (adapters/storage/dump.py)."""

    @property
    def backend(self) -> str: ...

    def dump(self, folder: Path) -> DumpSummary: ...

    def digests(self) -> dict[str, TableDigest]: ...

    def held_rows(self) -> dict[str, int]: ...

    def integrity(self) -> list[str]: ...

    def schema_revision(self) -> str: ...

    def restore(
        self, folder: Path, *, schema_revision: str, expected: Mapping[str, TableDigest]
    ) -> dict[str, TableDigest]: ...


# An empty, migrated scratch SQLite store at the path, closed when the block ends.
ScratchOpener = Callable[[Path], AbstractContextManager[StoreDumper]]


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetResult:
    target: str  # the target's name (a path or a masked URL)
    location: str | None  # where the backup went; None when it was not written
    verified: bool
    error: str | None
    kept: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupReport:
    backup_id: str
    started_at: datetime
    finished_at: datetime
    targets: tuple[TargetResult, ...]
    verify: bool  # whether each copy was to be verified
    tables: Mapping[str, TableDigest] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every target written (and verified, unless verification was turned off)."""
        return bool(self.targets) and all(
            r.error is None and (r.verified or not self.verify) for r in self.targets
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    target: str
    backup_id: str
    problems: tuple[str, ...]  # each names the file or table and how it differs
    manifest: Manifest | None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreReport:
    target: str
    backup_id: str
    source_backend: str
    tables: Mapping[str, TableDigest]


class BackupService:
    def __init__(
        self,
        *,
        dumper: StoreDumper,
        export_jsonl: Callable[[Path], object],
        open_scratch: ScratchOpener,
        sigtrack_version: str,
        keep_daily: int = 7,
        keep_weekly: int = 4,
        zone: tzinfo = UTC,
    ) -> None:
        self._dumper = dumper
        self._export_jsonl = export_jsonl
        self._open_scratch = open_scratch
        self._version = sigtrack_version
        self._keep_daily, self._keep_weekly, self._zone = keep_daily, keep_weekly, zone

    def backup(
        self, targets: Sequence[BackupTarget], *, now: datetime, verify: bool = True
    ) -> BackupReport:
        """Dump the store once and write it to every target; a target that fails is
        reported for itself and the others still get theirs."""
        if not targets:
            raise InvalidInput(
                "backup_to", "no target: give --to DIR_OR_URL or set SIGTRACK_BACKUP_TO"
            )
        started = time.monotonic()
        name = backup_id(now)
        with tempfile.TemporaryDirectory(prefix="sigtrack-backup-") as scratch:
            folder = Path(scratch) / name
            manifest = self._dump(folder, now)
            results = tuple(self._to_target(t, name, folder, verify=verify) for t in targets)
        return BackupReport(
            backup_id=name,
            started_at=now,
            finished_at=now + timedelta(seconds=time.monotonic() - started),
            targets=results,
            verify=verify,
            tables=manifest.tables,
        )

    def _dump(self, folder: Path, now: datetime) -> Manifest:
        summary = self._dumper.dump(folder)
        try:
            self._export_jsonl(folder / JSONL_DIR)
        except OSError as exc:
            raise BackupError(f"could not write the JSONL export: {exc}") from exc
        manifest = Manifest(
            sigtrack_version=self._version,
            schema_revision=summary.schema_revision,
            created_at=now,
            backend=summary.backend,
            files=file_digests(folder),
            tables=summary.tables,
        )
        (folder / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
        return manifest

    def _to_target(
        self, target: BackupTarget, name: str, folder: Path, *, verify: bool
    ) -> TargetResult:
        try:
            location = target.write(name, folder)
        except (SigtrackError, OSError) as exc:
            logger.warning("backup %s: %s", name, exc)
            return TargetResult(target=target.name, location=None, verified=False, error=str(exc))
        if not verify:
            return TargetResult(target=target.name, location=location, verified=False, error=None)
        try:
            checked = self.verify(target, name)
            if not checked.ok:
                error = "verification failed: " + "; ".join(checked.problems)
                return TargetResult(
                    target=target.name, location=location, verified=False, error=error
                )
            kept = retain(target.list(), keep_daily=self._keep_daily,
                          keep_weekly=self._keep_weekly, zone=self._zone)  # fmt: skip
            for old in kept.delete:
                target.delete(old)
        except (SigtrackError, OSError) as exc:
            logger.warning("backup %s at %s: %s", name, target.name, exc)
            return TargetResult(target=target.name, location=location, verified=False,
                                error=str(exc))  # fmt: skip
        return TargetResult(target=target.name, location=location, verified=True, error=None,
                            kept=kept.keep, deleted=kept.delete)  # fmt: skip

    def newest(self, target: BackupTarget) -> str:
        ids = target.list()
        if not ids:
            raise BackupNotFound(f"{target.name}: holds no complete backup")
        return ids[-1]

    def verify(self, target: BackupTarget, backup: str | None = None) -> VerifyReport:
        """Fetch the backup (default the newest), check every file's sha256, restore it into
        a scratch SQLite database, run its integrity check and compare the tables' counts
        and content hashes with the manifest."""
        name = backup or self.newest(target)
        with tempfile.TemporaryDirectory(prefix="sigtrack-verify-") as scratch:
            folder = Path(scratch) / name
            try:
                manifest = self._fetch_checked(target, name, folder)
            except BackupError as exc:
                return VerifyReport(target=target.name, backup_id=name, problems=(str(exc),),
                                    manifest=None)  # fmt: skip
            problems = self._restore_problems(folder, manifest, Path(scratch) / "scratch.db")
        return VerifyReport(target=target.name, backup_id=name, problems=tuple(problems),
                            manifest=manifest)  # fmt: skip

    def _fetch_checked(self, target: BackupTarget, name: str, folder: Path) -> Manifest:
        """The backup's files in `folder`, each checked against its manifest."""
        target.fetch(name, folder)
        try:
            text = (folder / MANIFEST_NAME).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BackupError(f"{target.name}/{name}: manifest.json unreadable: {exc}") from exc
        manifest = Manifest.from_json(text)
        mismatches = compare_files(manifest.files, file_digests(folder))
        if mismatches:
            raise BackupError(
                f"{target.name}/{name}: damaged: " + "; ".join(str(m) for m in mismatches)
            )
        return manifest

    def _restore_problems(self, folder: Path, manifest: Manifest, scratch_db: Path) -> list[str]:
        try:
            with self._open_scratch(scratch_db) as scratch:
                scratch.restore(folder, schema_revision=manifest.schema_revision,
                                expected=manifest.tables)  # fmt: skip
                problems = [f"integrity_check: {line}" for line in scratch.integrity()
                            if line != "ok"]  # fmt: skip
                problems += [str(m) for m in compare_tables(manifest.tables, scratch.digests())]
                return problems
        except SigtrackError as exc:
            return [str(exc)]

    def restore(
        self,
        target: BackupTarget,
        backup: str | None,
        *,
        into_store: StoreDumper | None = None,
        force: bool = False,
    ) -> RestoreReport:
        """Replace the store's content with the backup's (default: the newest), checked file
        by file before and table by table after, in one transaction. A store that holds
        anything is refused unless `force`."""
        store = into_store or self._dumper
        held = store.held_rows()
        if held and not force:
            what = ", ".join(f"{table}: {n}" for table, n in held.items())
            raise StateConflict(
                f"the store is not empty ({what}); a restore replaces everything in it: "
                "pass force=True (CLI: --force) to do so"
            )
        name = backup or self.newest(target)
        with tempfile.TemporaryDirectory(prefix="sigtrack-restore-") as scratch:
            folder = Path(scratch) / name
            manifest = self._fetch_checked(target, name, folder)
            tables = store.restore(folder, schema_revision=manifest.schema_revision,
                                   expected=manifest.tables)  # fmt: skip
        logger.info("restored %s from %s", name, target.name)
        return RestoreReport(target=target.name, backup_id=name, source_backend=manifest.backend,
                             tables=tables)  # fmt: skip


def file_digests(folder: Path) -> dict[str, FileDigest]:
    """sha256 and size of every file under `folder` but the manifest, by relative path."""
    digests: dict[str, FileDigest] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative == MANIFEST_NAME:
            continue
        hasher = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        digests[relative] = FileDigest(sha256=hasher.hexdigest(), size=path.stat().st_size)
    return digests
