"""The typer app, its global options, and the one place errors become exit codes."""

from __future__ import annotations

import copy as _copy
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

from sigtrack.bootstrap import App, build_app
from sigtrack.config import Settings, load_settings, parse_zone
from sigtrack.core.errors import InvalidInput
from sigtrack.core.texts import Lang, parse_lang

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

GLOBAL_PANEL = "Global options (before or after the command; given twice, the later wins)"
# A command may declare one of these itself only when it means the same (the read commands'
# `--lang`: the language of what they print); any other clash is refused when the CLI is built.
SAME_MEANING = frozenset({"--lang"})


class GlobalOptionsGroup(TyperGroup):
    """The root command: every command and group under it accepts the global options too.

    Click reads an option only where it is declared, so `sigtrack list --db URL` would be
    "No such option". The root's declarations are copied onto every command below it, not
    passed to the command's function: read after the root's, left to right, they update the
    one `State`, so the value nearest the end of the line wins.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        shared = [
            p
            for p in self.params
            if isinstance(p, TyperOption) and p.rich_help_panel == GLOBAL_PANEL
        ]
        for command in _commands_below(self):
            for option in shared:
                _accept_global_option(command, option)
            _name_options_as_typed(command)


def _commands_below(group: TyperGroup) -> Iterator[TyperCommand | TyperGroup]:
    for command in group.commands.values():
        if isinstance(command, TyperCommand):
            yield command
        elif isinstance(command, TyperGroup):
            yield command
            yield from _commands_below(command)


def _accept_global_option(command: TyperCommand | TyperGroup, option: TyperOption) -> None:
    assert option.name is not None
    declared = [p for p in command.params if set(p.opts) & set(option.opts)]
    if not declared:
        copy = _copy.copy(option)
        copy.expose_value = False
        copy.callback = _taker(option.name)
        command.params.append(copy)
        return
    own = declared[0]
    if set(own.opts) - SAME_MEANING or not isinstance(own, TyperOption) or own.callback:
        raise TypeError(
            f"sigtrack {command.name}: {'/'.join(own.opts)} clashes with a global option; "
            "give the command's own option another name"
        )
    # Same meaning: the command still gets its value, and the State holds it as well.
    own.help, own.metavar, own.rich_help_panel = option.help, option.metavar, GLOBAL_PANEL
    own.callback = _taker(option.name)


def _name_options_as_typed(command: TyperCommand | TyperGroup) -> None:
    """Bad input names the option as typed (`--format`), not the parameter (`fmt`, `sl`)."""
    spelled = {
        p.name: max(p.opts, key=len)
        for p in command.params
        if isinstance(p, TyperOption) and p.name and p.expose_value
    }
    run = command.callback
    if run is None or isinstance(command, TyperGroup):
        return

    @functools.wraps(run)
    def naming(*args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except InvalidInput as exc:
            if exc.field not in spelled:
                raise
            raise InvalidInput(spelled[exc.field], exc.reason) from None

    command.callback = naming


def _taker(name: str) -> Callable[[Any, Any, object], object]:
    def take(ctx: Any, param: Any, value: object) -> object:
        """The callback of a global option below the root (typer's own click objects)."""
        state(ctx).take(name, value)
        return value

    return take


app = typer.Typer(
    name="sigtrack",
    help="Record trading signals, settle them, and report honest winrates.",
    cls=GlobalOptionsGroup,
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
    verbose: bool = False
    _settings: Settings | None = None
    _app: App | None = field(default=None, repr=False)

    def take(self, name: str, value: object) -> None:
        """A global option read from the command line; one read later replaces it."""
        if value is None or value is False:
            return  # not given here: keep what an earlier position gave
        assert self._app is None, "global options are read before the store is opened"
        if isinstance(value, str) and not value.strip():
            # `--db "$URL"` with URL unset must not quietly mean the default SQLite file
            raise InvalidInput(f"--{name}", f"must not be empty (got {value!r})")
        if name == "tz":
            parse_zone(str(value), "--tz")
        elif name == "lang":
            try:
                parse_lang(value)
            except InvalidInput as exc:
                raise InvalidInput("--lang", exc.reason) from None
        elif name == "config" and not Path(str(value)).is_file():
            raise InvalidInput("--config", f"no such file (got {str(value)!r})")
        elif name == "verbose":
            configure_logging(verbose=True)
        setattr(self, name, value)
        self._settings = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(
                config_file=self.config, database_url=self.db, display_tz=self.tz, lang=self.lang
            )
        return self._settings

    @property
    def app(self) -> App:
        """The services the commands call (the same ones the `Tracker` calls); opening
        them creates or migrates the store."""
        if self._app is None:
            self._app = build_app(self.settings)
        return self._app

    def language(self, override: str | None) -> Lang:
        return self.settings.lang if override is None else parse_lang(override)

    def close(self) -> None:
        if self._app is not None:
            self._app.store.dispose()


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def configure_logging(*, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if verbose:
        logging.getLogger().setLevel(logging.INFO)


class SecretMasking(logging.Formatter):
    """A handler's formatter with every secret replaced in the whole formatted record,
    traceback included."""

    def __init__(self, inner: logging.Formatter | None, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        shown = self._inner.format(record)
        for secret in self.secrets:
            shown = shown.replace(secret, "<secret>")
        return shown


def mask_in_logs(secrets: Iterable[str]) -> None:
    """Every handler of the root logger masks `secrets` (tokens, keys) from now on."""
    chosen = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
    for handler in logging.getLogger().handlers:
        current = handler.formatter
        if isinstance(current, SecretMasking):
            current.secrets = tuple(dict.fromkeys((*current.secrets, *chosen)))
        else:
            handler.setFormatter(SecretMasking(current, chosen))


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (default: SIGTRACK_DATABASE_URL or SQLite).",
            rich_help_panel=GLOBAL_PANEL,
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            metavar="ZONE",
            help="Display time zone (default: SIGTRACK_TZ or Asia/Jakarta).",
            rich_help_panel=GLOBAL_PANEL,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="id|en",
            help="Language of what is shown (default: SIGTRACK_LANG or id).",
            rich_help_panel=GLOBAL_PANEL,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Settings file (default: SIGTRACK_CONFIG, else ./sigtrack.toml if present).",
            rich_help_panel=GLOBAL_PANEL,
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log what happens.", rich_help_panel=GLOBAL_PANEL),
    ] = False,
) -> None:
    configure_logging(verbose=False)
    ctx.obj = st = State()
    for name, value in (("db", db), ("tz", tz), ("lang", lang), ("config", config)):
        st.take(name, value)
    st.take("verbose", verbose)
    ctx.call_on_close(st.close)
