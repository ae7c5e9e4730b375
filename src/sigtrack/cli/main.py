"""Entry point: every command module registered, errors turned into exit codes here."""

from __future__ import annotations

import sys

import typer

# The command modules register themselves on `app` when imported.
from sigtrack.cli import (
    backup_cmd,
    bot_cmd,
    files_cmd,
    jobs_cmd,
    journal_cmd,
    report_cmd,
    serve_cmd,
    settle_cmd,
    signals_cmd,
    stats_cmd,
    winrate_cmd,
)
from sigtrack.cli.app import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, app, err
from sigtrack.core.errors import InvalidInput, SignalNotFound, SigtrackError

COMMAND_MODULES = (
    backup_cmd,
    bot_cmd,
    files_cmd,
    jobs_cmd,
    journal_cmd,
    report_cmd,
    serve_cmd,
    settle_cmd,
    signals_cmd,
    stats_cmd,
    winrate_cmd,
)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and exit 2, other failures exit 1.

    The command parser reports its own usage errors (exit 2); sigtrack's errors come out
    of the command unhandled and are turned into a line and an exit code here. An id that
    names no signal is bad input like any other wrong value; a file error that no command
    turned into bad input is a failure, told in one line (no traceback).
    """
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="sigtrack", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except (InvalidInput, SignalNotFound) as exc:
        err.print(f"error: {exc}", markup=False)
        return EXIT_BAD_INPUT
    except SigtrackError as exc:
        err.print(f"error: {exc}", markup=False)
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        err.print(f"error: {exc}", markup=False)
        return EXIT_FAILED
    return EXIT_OK


def run() -> None:  # pragma: no cover - console entry point
    sys.exit(main())
