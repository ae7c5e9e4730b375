"""The typer app, its global options, and the one place errors become exit codes."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from sigtrack.config import Settings, load_settings
from sigtrack.core.texts import Lang, parse_lang
from sigtrack.tracker import Tracker

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

app = typer.Typer(
    name="sigtrack",
    help="Record trading signals, settle them, and report honest winrates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class State:
    """Global options; the store is opened on first use, so `--help` touches nothing."""

    db: str | None = None
    tz: str | None = None
    lang: str | None = None
    config: Path | None = None
    _settings: Settings | None = None
    _tracker: Tracker | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(
                config_file=self.config, database_url=self.db, display_tz=self.tz, lang=self.lang
            )
        return self._settings

    @property
    def tracker(self) -> Tracker:
        if self._tracker is None:
            self._tracker = Tracker.open(settings=self.settings)
        return self._tracker

    def language(self, override: str | None) -> Lang:
        return self.settings.lang if override is None else parse_lang(override)

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.dispose()


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: SIGTRACK_DATABASE_URL or SQLite)."),
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="Display time zone (default Asia/Jakarta).")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="id or en.")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="A sigtrack.toml settings file.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = State(db=db, tz=tz, lang=lang, config=config)
    ctx.call_on_close(ctx.obj.close)
