"""`sigtrack journal status | replay`: the writes kept while the store did not answer."""

from __future__ import annotations

from typing import Annotated

import typer

from sigtrack.cli.app import EXIT_FAILED, app, out, print_json, state
from sigtrack.core.render.journal import replay_json, replay_text, status_json, status_text

journal_app = typer.Typer(help="The journal: writes kept while the store did not answer.",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(journal_app, name="journal")

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@journal_app.command("status")
def status(ctx: typer.Context, as_json: AsJson = False) -> None:
    """How many operations wait to be applied, and the lines set aside."""
    st = state(ctx)
    shown = st.app.journal.status()
    if as_json:
        print_json(status_json(shown, st.settings.zone))
    else:
        out.print(status_text(shown, st.settings.zone, st.settings.lang), markup=False)


@journal_app.command("replay")
def replay(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Apply the journal to the store, in order, each operation once; exit 1 when the store
    still does not answer (what was applied stays applied)."""
    st = state(ctx)
    report = st.app.journal.replay_all()
    if as_json:
        print_json(replay_json(report))
    else:
        out.print(replay_text(report, st.settings.lang), markup=False)
    if report.error is not None:
        raise typer.Exit(EXIT_FAILED)
