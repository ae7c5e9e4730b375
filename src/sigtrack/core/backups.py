"""What a backup is (its manifest), how a copy is checked against it, and which to keep."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sigtrack.core.errors import BackupError

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
_ID_RE = re.compile(r"sigtrack-(\d{8}T\d{6}Z)")


@dataclass(frozen=True, slots=True, kw_only=True)
class FileDigest:
    """One file of a backup: its sha256 (hex) and its size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TableDigest:
    """One table: its row count and the sha256 of its canonical rows (the same on every
    backend, so a PostgreSQL backup restored into SQLite digests alike)."""

    rows: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DumpSummary:
    """What a dump of the store wrote: where from, at which schema revision, each table."""

    backend: str  # "sqlite" or "postgresql"
    schema_revision: str
    tables: Mapping[str, TableDigest]


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """`manifest.json`: what a backup holds and the numbers a copy must match."""

    sigtrack_version: str
    schema_revision: str
    created_at: datetime  # aware, UTC
    backend: str  # "sqlite" or "postgresql": where it was taken from
    files: Mapping[str, FileDigest] = field(default_factory=dict)  # path in the backup → digest
    tables: Mapping[str, TableDigest] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise BackupError(f"manifest: created_at must be aware (got {self.created_at!r})")
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))

    def to_json(self) -> str:
        data = {
            "format_version": self.format_version,
            "sigtrack_version": self.sigtrack_version,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "backend": self.backend,
            "files": {
                name: {"sha256": f.sha256, "size": f.size} for name, f in sorted(self.files.items())
            },
            "tables": {
                name: {"rows": t.rows, "sha256": t.sha256}
                for name, t in sorted(self.tables.items())
            },
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """The manifest in `text`; BackupError saying what is wrong when it is not one."""
        try:
            data = json.loads(text)
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise BackupError(
                    f"manifest.json: format_version must be {FORMAT_VERSION} (got {version!r})"
                )
            return cls(
                format_version=version,
                sigtrack_version=str(data["sigtrack_version"]),
                schema_revision=str(data["schema_revision"]),
                created_at=datetime.fromisoformat(str(data["created_at"])),
                backend=str(data["backend"]),
                files={n: _file_digest(v) for n, v in dict(data["files"]).items()},
                tables={n: _table_digest(v) for n, v in dict(data["tables"]).items()},
            )
        except BackupError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"manifest.json: not a sigtrack manifest ({exc!r})") from None


def _file_digest(value: Any) -> FileDigest:
    return FileDigest(sha256=str(value["sha256"]), size=int(value["size"]))


def _table_digest(value: Any) -> TableDigest:
    return TableDigest(rows=int(value["rows"]), sha256=str(value["sha256"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class Mismatch:
    """One way a copy differs from its manifest: which file or table, and how."""

    kind: str  # "file" or "table"
    name: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.detail}"


def compare_files(
    expected: Mapping[str, FileDigest], found: Mapping[str, FileDigest]
) -> list[Mismatch]:
    """Every file missing, extra, of another size or another sha256 than the manifest says."""
    problems: list[Mismatch] = []
    for name in sorted(set(expected) | set(found)):
        want, got = expected.get(name), found.get(name)
        if want is None:
            problems.append(Mismatch(kind="file", name=name, detail="not in the manifest"))
        elif got is None:
            problems.append(Mismatch(kind="file", name=name, detail="missing"))
        elif got.size != want.size:
            detail = f"size must be {want.size} bytes (got {got.size})"
            problems.append(Mismatch(kind="file", name=name, detail=detail))
        elif got.sha256 != want.sha256:
            detail = f"sha256 must be {want.sha256} (got {got.sha256})"
            problems.append(Mismatch(kind="file", name=name, detail=detail))
    return problems


def compare_tables(
    expected: Mapping[str, TableDigest], found: Mapping[str, TableDigest]
) -> list[Mismatch]:
    """Every table missing, extra, or with other row counts or content than the manifest."""
    problems: list[Mismatch] = []
    for name in sorted(set(expected) | set(found)):
        want, got = expected.get(name), found.get(name)
        if want is None:
            problems.append(Mismatch(kind="table", name=name, detail="not in the manifest"))
        elif got is None:
            problems.append(Mismatch(kind="table", name=name, detail="missing"))
        elif got.rows != want.rows:
            detail = f"must hold {want.rows} row(s) (got {got.rows})"
            problems.append(Mismatch(kind="table", name=name, detail=detail))
        elif got.sha256 != want.sha256:
            detail = f"content hash must be {want.sha256} (got {got.sha256})"
            problems.append(Mismatch(kind="table", name=name, detail=detail))
    return problems


def backup_id(now: datetime) -> str:
    """`sigtrack-YYYYmmddTHHMMSSZ` of `now` (aware) in UTC: ids sort as times do."""
    if now.tzinfo is None:
        raise BackupError(f"backup time must be aware (got {now!r})")
    return f"sigtrack-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def backup_time(backup: str) -> datetime | None:
    """The UTC time a backup id names, or None when it is not a sigtrack id."""
    match = _ID_RE.fullmatch(backup)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Retention:
    keep: tuple[str, ...]  # oldest first
    delete: tuple[str, ...]


def retain(
    ids: Iterable[str], *, keep_daily: int = 7, keep_weekly: int = 4, zone: tzinfo = UTC
) -> Retention:
    """Which backups to keep: the newest of each of the last `keep_daily` days that have
    backups, and the newest of each of the last `keep_weekly` ISO weeks that have backups
    (days and weeks in `zone`). An id that is not sigtrack's is never deleted."""
    if keep_daily < 0 or keep_weekly < 0:
        raise BackupError(
            f"retention must keep >= 0 backups (got keep_daily={keep_daily}, "
            f"keep_weekly={keep_weekly})"
        )
    timed: list[tuple[datetime, str]] = []
    keep: set[str] = set()
    for backup in ids:
        at = backup_time(backup)
        if at is None:
            keep.add(backup)
        else:
            timed.append((at, backup))
    timed.sort(reverse=True)  # newest first
    newest_of_day: dict[object, str] = {}
    newest_of_week: dict[object, str] = {}
    for at, backup in timed:
        local = at.astimezone(zone)
        newest_of_day.setdefault(local.date(), backup)
        newest_of_week.setdefault(local.isocalendar()[:2], backup)
    keep.update(list(newest_of_day.values())[:keep_daily])
    keep.update(list(newest_of_week.values())[:keep_weekly])
    everything = sorted({b for _, b in timed} | keep)
    return Retention(
        keep=tuple(b for b in everything if b in keep),
        delete=tuple(b for b in everything if b not in keep),
    )
