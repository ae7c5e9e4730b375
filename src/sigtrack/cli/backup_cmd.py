"""`sigtrack backup [--verify] | restore`: backups that are proven by restoring them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from sigtrack.bootstrap import backup_at, backup_targets
from sigtrack.cli.app import EXIT_FAILED, app, err, out, print_json, state
from sigtrack.config import Settings, mask_url
from sigtrack.core.errors import BackupNotFound, InvalidInput
from sigtrack.services.backups import BackupReport, RestoreReport, VerifyReport
from sigtrack.services.ports import BackupTarget


@app.command()
def backup(
    ctx: typer.Context,
    where: Annotated[
        str | None,
        typer.Argument(
            metavar="[FILE_OR_URL]",
            help="With --verify: a target, or one backup's folder or URL (default: the "
            "first --to / SIGTRACK_BACKUP_TO target, its newest backup).",
        ),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="DIR_OR_URL",
            help="A folder or s3://bucket/prefix; repeat for several "
            "(default: SIGTRACK_BACKUP_TO, comma-separated).",
        ),
    ] = None,
    verify_only: Annotated[
        bool, typer.Option("--verify", help="Verify a backup instead of making one.")
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Write without restoring each copy to prove it.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Back the store up to each target and prove every copy restores (or --verify one)."""
    st = state(ctx)
    if verify_only:
        _verify(ctx, where, to or [], as_json=as_json)
        return
    if where is not None:
        raise InvalidInput("FILE_OR_URL", f"is only for --verify; use --to (got {where!r})")
    targets = _targets(st.settings, to or [])
    report = st.app.backups.backup(targets, now=datetime.now(UTC), verify=not no_verify)
    if as_json:
        print_json(_backup_json(report))
    else:
        _print_backup(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _verify(ctx: typer.Context, where: str | None, to: list[str], *, as_json: bool) -> None:
    st = state(ctx)
    if where is not None:
        target, backup_id = _backup_at(st.settings, where)
    else:
        targets = _targets(st.settings, to)
        if not targets:
            raise InvalidInput(
                "FILE_OR_URL", "name the backup, or give --to / set SIGTRACK_BACKUP_TO"
            )
        target, backup_id = targets[0], None
    report = st.app.backups.verify(target, backup_id)
    if as_json:
        print_json(_verify_json(report))
    elif report.ok:
        rows = sum(t.rows for t in report.manifest.tables.values()) if report.manifest else 0
        out.print(
            f"{report.backup_id} at {mask_url(report.target)}: verified — every file's sha256 "
            f"matches, restored into a scratch database ({rows} row(s)), integrity ok, every "
            "table's count and content hash match",
            markup=False,
        )
    else:
        err.print(f"{report.backup_id} at {mask_url(report.target)}: verification FAILED",
                  markup=False)  # fmt: skip
        for problem in report.problems:
            err.print(f"  {problem}", markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def restore(
    ctx: typer.Context,
    where: Annotated[
        str,
        typer.Argument(
            metavar="FILE_OR_URL",
            help="One backup's folder or URL, or a target (its newest backup).",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace what the store holds (refused without).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Restore a backup into the --db store, checked file by file and table by table."""
    st = state(ctx)
    target, backup_id = _backup_at(st.settings, where)
    try:
        report = st.app.backups.restore(target, backup_id, force=force)
    except BackupNotFound as exc:  # what the user named is no backup: bad input
        raise InvalidInput("FILE_OR_URL", str(exc)) from None
    if as_json:
        print_json(_restore_json(report))
        return
    rows = ", ".join(f"{name} {t.rows}" for name, t in report.tables.items() if t.rows)
    out.print(
        f"restored {report.backup_id} (taken from {report.source_backend}) from "
        f"{mask_url(report.target)} into {mask_url(st.settings.resolved_database_url)}: "
        f"{rows or 'no rows'}",
        markup=False,
    )


def _backup_at(settings: Settings, where: str) -> tuple[BackupTarget, str | None]:
    """The target and backup FILE_OR_URL names; a malformed one is named as typed."""
    try:
        return backup_at(settings, where)
    except InvalidInput as exc:
        if exc.field != "backup_to":
            raise
        raise InvalidInput("FILE_OR_URL", exc.reason) from None


def _targets(settings: Settings, to: list[str]) -> list[BackupTarget]:
    try:
        return backup_targets(settings, to)
    except InvalidInput as exc:
        if to and exc.field == "backup_to":
            raise InvalidInput("--to", exc.reason) from None
        raise


def _print_backup(report: BackupReport) -> None:
    for result in report.targets:
        where = mask_url(result.location or result.target)
        if result.error is not None:
            err.print(f"{report.backup_id} → {where}: FAILED: {mask_url(result.error)}",
                      markup=False)  # fmt: skip
            continue
        state_ = "written and verified" if result.verified else "written (not verified)"
        tail = (
            f"; kept {len(result.kept)}, deleted {len(result.deleted)}" if result.verified else ""
        )
        out.print(f"{report.backup_id} → {where}: {state_}{tail}", markup=False)


def _backup_json(report: BackupReport) -> dict[str, Any]:
    return {
        "backup_id": report.backup_id,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "ok": report.ok,
        "verify": report.verify,
        "targets": [
            {
                **asdict(r),
                "target": mask_url(r.target),
                "error": mask_url(r.error) if r.error else None,
            }
            for r in report.targets
        ],
        "tables": {name: asdict(t) for name, t in report.tables.items()},
    }


def _verify_json(report: VerifyReport) -> dict[str, Any]:
    manifest = report.manifest
    return {
        "target": mask_url(report.target),
        "backup_id": report.backup_id,
        "ok": report.ok,
        "problems": list(report.problems),
        "created_at": manifest.created_at.isoformat() if manifest else None,
        "source_backend": manifest.backend if manifest else None,
        "schema_revision": manifest.schema_revision if manifest else None,
        "tables": {n: asdict(t) for n, t in manifest.tables.items()} if manifest else {},
    }


def _restore_json(report: RestoreReport) -> dict[str, Any]:
    return {
        "target": mask_url(report.target),
        "backup_id": report.backup_id,
        "source_backend": report.source_backend,
        "tables": {name: asdict(t) for name, t in report.tables.items()},
    }
