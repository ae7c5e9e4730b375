"""`sigtrack jobs run-due` (safe to call every minute, from cron or from two machines at
once) and `sigtrack jobs status`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from typing import Annotated

import typer

from sigtrack.bootstrap import jobs_service
from sigtrack.cli.app import EXIT_FAILED, app, out, print_json, state
from sigtrack.cli.signals_cmd import parse_time_option
from sigtrack.config import Settings
from sigtrack.core.jobs import RunState
from sigtrack.core.render.jobs import job_label, job_status_json, local, run_line
from sigtrack.core.render.journal import status_text
from sigtrack.core.render.values import iso
from sigtrack.core.texts import Lang
from sigtrack.services.jobs import JobsService
from sigtrack.services.scheduled import Send

jobs_app = typer.Typer(help="The automatic jobs: the weekly report and the backup.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(jobs_app, name="jobs")

AsOf = Annotated[str | None, typer.Option("--as-of", help="Take 'now' to be this time (ISO-8601).")]


def admins_sender(settings: Settings) -> Send | None:
    """The admins' Telegram sender when TELEGRAM_BOT_TOKEN is set (None: no token)."""
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        return None
    from sigtrack.adapters.telegram import TelegramNotifier  # noqa: PLC0415
    from sigtrack.cli.bot_cmd import bot_token, log_without_token  # noqa: PLC0415

    log_without_token(bot_token())
    notifier = TelegramNotifier(token, admin_ids=settings.admin_ids,
                                base_url=settings.telegram_base_url)  # fmt: skip
    return notifier.send


def _at(ctx: typer.Context, as_of: str | None) -> tuple[JobsService, tzinfo, Lang, datetime]:
    """The jobs service, the display zone and language, and `now` (--as-of, else now)."""
    st = state(ctx)
    zone = st.settings.zone
    now = parse_time_option(as_of, "--as-of", zone) if as_of else datetime.now(UTC)
    return jobs_service(st.app, send=admins_sender(st.settings)), zone, st.settings.lang, now


@jobs_app.command("run-due")
def run_due(
    ctx: typer.Context,
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run every job whose slot is due and not yet claimed; record the missed ones."""
    service, zone, lang, now = _at(ctx, as_of)
    outcomes = service.run_due(now=now)
    if as_json:
        print_json([
            {"job": o.job, "slot": iso(o.slot, zone), "state": o.state.value,
             "attempt": o.attempt, "error": o.error, "detail": dict(o.detail)}
            for o in outcomes
        ])  # fmt: skip
    else:
        for o in outcomes:
            detail = f": {o.error}" if o.error else f": {o.detail.get('where')}" if o.detail else ""
            out.print(f"{job_label(o.job, lang)} {local(o.slot, zone)}: {o.state.value}{detail}",
                      markup=False)  # fmt: skip
        if not outcomes:
            out.print(f"nothing due at {local(now, zone)}", markup=False)
    if any(o.state is RunState.FAILED for o in outcomes):
        raise typer.Exit(EXIT_FAILED)


@jobs_app.command("status")
def status(
    ctx: typer.Context,
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each job: its schedule, its last runs, its next slot and the slots it missed."""
    service, zone, lang, now = _at(ctx, as_of)
    statuses = service.status(now=now)
    if as_json:
        print_json([job_status_json(s, zone) for s in statuses])
        return
    for s in statuses:
        head = f"{job_label(s.job, lang)} — {s.schedule} ({zone}), next {local(s.next_slot, zone)}"
        out.print(head, markup=False)
        for run in s.runs:
            out.print("  " + run_line(run, zone, lang), markup=False)
        if not s.runs:
            out.print("  —", markup=False)
    kept = state(ctx).app.journal.status()
    if kept.backlog or kept.bad_lines or kept.store_down_since:
        out.print(status_text(kept, zone, lang), markup=False)
