"""The automatic jobs as people see them: a notice to the admins (missed, failed), the
status lines of `sigtrack jobs status` and `/signal_stats`, and the JSON view."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo

from sigtrack.core.jobs import JobRun, JobStatus
from sigtrack.core.render.telegram_html import escape
from sigtrack.core.render.values import Json, iso
from sigtrack.core.texts import TEXTS, Lang, text


def job_label(job: str, lang: Lang) -> str:
    key = f"jobs.name.{job}"
    return text(key, lang) if key in TEXTS else job


def local(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone})"


def notice_html(key: str, values: Mapping[str, object], zone: tzinfo, lang: Lang) -> str:
    """A jobs notice for the admins (`jobs.missed`, `jobs.failed`), every value escaped."""
    shown = {
        name: local(value, zone) if isinstance(value, datetime) else value
        for name, value in values.items()
    }
    shown["job"] = job_label(str(values.get("job", "")), lang)
    return text(key, lang, **{name: escape(value) for name, value in shown.items()})


def run_line(run: JobRun, zone: tzinfo, lang: Lang) -> str:
    """One run as a line: the job, its slot, its state and what it did or why it failed."""
    extra = ""
    if run.duration_s is not None:
        extra += f" ({run.duration_s:.1f} s)"
    if run.attempts > 1:
        extra += f" ×{run.attempts}"
    if run.error:
        extra += f": {run.error}"
    elif run.detail.get("where"):
        extra += f": {run.detail['where']}"
    return text("jobs.line", lang, job=job_label(run.job, lang), slot=local(run.slot, zone),
                state=text(f"jobs.state.{run.state.value}", lang), extra=extra)  # fmt: skip


def latest_lines(
    runs: Sequence[JobRun], jobs: Iterable[str], zone: tzinfo, lang: Lang
) -> list[str]:
    """The newest run of each job (or "not run yet"), in the order of `jobs`."""
    newest = {run.job: run for run in runs}
    return [
        run_line(newest[job], zone, lang) if job in newest
        else text("jobs.never", lang, job=job_label(job, lang))
        for job in jobs
    ]  # fmt: skip


def run_json(run: JobRun, zone: tzinfo) -> Json:
    return {
        "job": run.job,
        "slot": iso(run.slot, zone),
        "state": run.state.value,
        "attempts": run.attempts,
        "started_at": iso(run.started_at, zone),
        "finished_at": iso(run.finished_at, zone),
        "duration_s": run.duration_s,
        "error": run.error,
        "detail": dict(run.detail),
        "told": run.told,
    }


def job_status_json(s: JobStatus, zone: tzinfo) -> Json:
    """One job as `sigtrack jobs status --json` and `GET /jobs` show it."""
    return {
        "job": s.job,
        "schedule": str(s.schedule),
        "zone": str(zone),
        "grace": s.grace.value,
        "next_slot": iso(s.next_slot, zone),
        "runs": [run_json(r, zone) for r in s.runs],
        "missed": [run_json(r, zone) for r in s.missed],
    }
