"""Where backups are kept: a local folder or an S3-compatible bucket (the BackupTarget port)."""

from __future__ import annotations

from pathlib import Path

from sigtrack.adapters.backup.folder import FolderTarget
from sigtrack.core.backups import MANIFEST_NAME, backup_time
from sigtrack.core.errors import InvalidInput
from sigtrack.services.ports import BackupTarget

__all__ = ["FolderTarget", "open_backup", "open_target"]


def open_target(
    spec: str, *, endpoint_url: str | None = None, region: str | None = None
) -> BackupTarget:
    """The target `spec` names: `s3://bucket/prefix`, else a folder path."""
    spec = spec.strip()
    if not spec:
        raise InvalidInput("backup_to", f"must be a folder or an s3:// URL (got {spec!r})")
    if spec.startswith("s3://"):
        # boto3 is imported only by those who back up to S3
        from sigtrack.adapters.backup.s3 import S3Target  # noqa: PLC0415

        return S3Target(spec, endpoint_url=endpoint_url or None, region=region or None)
    if "://" in spec:
        raise InvalidInput("backup_to", f"must be a folder or an s3:// URL (got {spec!r})")
    return FolderTarget(Path(spec))


def open_backup(
    spec: str, *, endpoint_url: str | None = None, region: str | None = None
) -> tuple[BackupTarget, str | None]:
    """A target and, when `spec` names one backup (its folder, or `s3://…/<backup id>`),
    that backup's id; else None (the newest is meant)."""
    spec = spec.strip()
    if spec.startswith("s3://"):
        head, _, last = spec.rstrip("/").rpartition("/")
        if backup_time(last) is not None and head not in {"s3:/", "s3:"}:
            return open_target(head, endpoint_url=endpoint_url, region=region), last
        return open_target(spec, endpoint_url=endpoint_url, region=region), None
    spec = spec.rstrip("/")
    path = Path(spec).expanduser()
    if (path / MANIFEST_NAME).is_file():
        return FolderTarget(path.parent), path.name
    return open_target(spec, endpoint_url=endpoint_url, region=region), None
