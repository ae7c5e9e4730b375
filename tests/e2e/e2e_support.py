"""Helpers for the end-to-end tests: run the CLI in-process, write JSON-lines files."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sigtrack.cli import main


@dataclass(frozen=True)
class Run:
    """What one `sigtrack …` run left behind."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """`cli("track", "--symbol", …)` runs `sigtrack --db <url> track --symbol …` in-process.

    The exit code must equal `code` (0 unless told), otherwise the test fails showing stderr.
    """

    def __init__(self, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.db_url = db_url
        self._capsys = capsys

    def __call__(self, *args: object, code: int | None = 0) -> Run:
        self._capsys.readouterr()  # drop whatever an earlier step printed
        exit_code = main(["--db", self.db_url, *(str(a) for a in args)])
        captured = self._capsys.readouterr()
        run = Run(exit_code, captured.out, captured.err)
        if code is not None:
            assert exit_code == code, f"exit {exit_code}, expected {code}; stderr:\n{run.err}"
        return run

    def ids(self, *args: object) -> list[str]:
        """Every signal id of `list --json` with the given options."""
        return [row["signal_id"] for row in self("list", "--json", *args).json()]


def file_signal(**changes: object) -> dict[str, object]:
    """One line of a `track --file` file: a LONG BTCUSDT 15m signal of 8 January 2026."""
    line: dict[str, object] = {
        "symbol": "BTCUSDT",
        "side": "LONG",
        "timeframe": "15m",
        "entry": 50000.0,
        "tp1": 51000.0,
        "tp2": 52000.0,
        "sl": 49000.0,
        "created_at": "2026-01-08T10:00:00+07:00",
    }
    line.update(changes)
    return line


def write_lines(path: Path, lines: Iterable[dict[str, object] | str]) -> Path:
    """A JSON-lines file; a str is written as it is (for broken lines)."""
    text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    path.write_text(text, encoding="utf-8")
    return path


def one_error_line(err: str) -> str:
    """The single `error: …` line a user error prints; fails on tracebacks or extra lines."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    """No SIGTRACK_* variable of this machine (for module-scoped set-ups)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("SIGTRACK_"):
                patch.delenv(name)
        yield


def run_quiet(db_url: str, *args: object) -> str:
    """Run `sigtrack --db URL …` for a set-up step; its stdout, or a failure showing stderr."""
    out, err = io.StringIO(), io.StringIO()
    with clean_environment(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--db", db_url, *(str(a) for a in args)])
    assert code == 0, f"set-up step {args} exited {code}:\n{err.getvalue()}"
    return out.getvalue()
