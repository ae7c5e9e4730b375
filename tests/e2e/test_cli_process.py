"""The real `sigtrack` console script in a subprocess, and what --help shows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import Cli

from sigtrack.cli import main

COMMANDS = ["init", "track", "close", "cancel", "show", "list", "import-jsonl", "export-jsonl",
            "winrate", "resolve", "monitor", "stats", "compare", "advise", "report"]  # fmt: skip
TRACK = ["track", "--symbol", "BTC/USDT", "--side", "BUY", "--timeframe", "15m", "--entry",
         "50000", "--tp1", "51000", "--sl", "49000", "--receivers", "1,2,3",
         "--at", "2026-01-08T10:00:00"]  # fmt: skip


def console_script() -> str:
    found = Path(sys.executable).with_name("sigtrack")
    return str(found) if found.exists() else shutil.which("sigtrack") or "sigtrack"


def sigtrack(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sigtrack --db sqlite:///<tmp>/x.db …` with no SIGTRACK_* variable, in an empty folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGTRACK_")}
    return subprocess.run(
        [console_script(), "--db", f"sqlite:///{tmp_path / 'x.db'}", *args],
        capture_output=True, text=True, env=env, cwd=Path.cwd(), timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "stdout", "stderr"),
    [
        (TRACK, 0, "1_BTCUSDT_1767841200\n", ""),
        ([*TRACK, "--sl", "52000"], 2, "",
         "error: --sl: must be below entry for LONG (got sl=52000.0 vs entry=50000.0)\n"),
        (["close", "1_BTCUSDT_1", "--result", "win"], 2, "",
         "error: signal_id: no signal with id '1_BTCUSDT_1'\n"),
    ],
)  # fmt: skip
def test_the_console_script_exits_0_2_or_1_with_one_line_and_no_traceback(
    tmp_path: Path, args: list[str], code: int, stdout: str, stderr: str
) -> None:
    done = sigtrack(tmp_path, *args)
    assert (done.returncode, done.stdout, done.stderr) == (code, stdout, stderr)
    assert list(Path.cwd().iterdir()) == []  # nothing written beside the user's files


def test_the_console_script_refuses_a_malformed_number_with_exit_2(tmp_path: Path) -> None:
    done = sigtrack(tmp_path, "list", "--limit", "abc")
    assert "Traceback" not in done.stderr
    assert done.returncode == 2 and "abc" in done.stderr


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert all(command in text for command in COMMANDS)


def test_every_read_command_has_json(cli: Cli) -> None:
    for command in ["show", "list", "winrate", "import-jsonl", "export-jsonl", "track", "close"]:
        assert "--json" in cli(command, "--help").out, command
