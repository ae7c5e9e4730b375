"""What the automatic jobs do (services/jobs.py decides when): the weekly report to every
admin with its HTML page kept, and the backup to every target, verified."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sigtrack.core.errors import BackupError, JobError
from sigtrack.core.render.bot import weekly_html
from sigtrack.core.render.report import render_weekly
from sigtrack.core.texts import Lang
from sigtrack.services.analysis import AnalysisService
from sigtrack.services.backups import BackupService
from sigtrack.services.jobs import JobRunner
from sigtrack.services.ports import BackupTarget

Send = Callable[[str], object]  # HTML to every admin; raises when it reached none
WritePage = Callable[[str, str], str]  # (file name, HTML page) → where it was written


def weekly_report_job(
    analysis: AnalysisService, *, lang: Lang, send: Send | None, write_page: WritePage
) -> JobRunner:
    """The last complete ISO week as of the slot (the Monday's slot: the week before),
    sent to the admins; its HTML page is kept under the data folder either way."""

    def run(slot: datetime, now: datetime) -> Mapping[str, object]:
        report = analysis.weekly(None, now=slot)
        week = report.week.label
        page = write_page(f"weekly_report_{week}.html", render_weekly(report, "html", lang))
        if send is None:
            raise JobError(
                f"the report of {week} is at {page}, but there is no bot token "
                "(TELEGRAM_BOT_TOKEN) to send it to the admins"
            )
        delivered = send(weekly_html(report, lang))
        reached = getattr(delivered, "reached", ())
        return {"week": week, "page": page, "where": f"{len(reached)} admin(s), {page}",
                "admins": list(reached)}  # fmt: skip

    return run


def backup_job(backups: BackupService, targets: Callable[[], Sequence[BackupTarget]]) -> JobRunner:
    """The store to every target, each copy verified by restoring it; the run fails (and
    is retried) unless every target holds a verified copy."""

    def run(slot: datetime, now: datetime) -> Mapping[str, object]:
        report = backups.backup(targets(), now=now)
        if not report.ok:
            raise BackupError("; ".join(
                t.error or f"{t.target}: written but not verified"
                for t in report.targets if t.error or not t.verified
            ))  # fmt: skip
        return {
            "backup_id": report.backup_id,
            "where": ", ".join(t.location or t.target for t in report.targets),
            "targets": [{"target": t.target, "location": t.location, "verified": t.verified}
                        for t in report.targets],
        }  # fmt: skip

    return run
