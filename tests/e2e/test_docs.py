"""The README documents every command and every setting the code has."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import typer

from sigtrack.cli import app
from sigtrack.cli.main import COMMAND_MODULES
from sigtrack.config import _ENV, Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_opens_with_the_two_commands() -> None:
    opening = "\n".join(README.splitlines()[:12])
    assert "make demo" in opening and "make test" in opening


def test_every_cli_command_is_in_the_readme() -> None:
    assert COMMAND_MODULES  # the commands are registered
    names = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    missing = [name for name in names if f"sigtrack {name}" not in README]
    assert missing == []


def test_every_setting_and_variable_is_in_the_readme() -> None:
    assert [v for v in _ENV if v not in README] == []
    documented_elsewhere = {"tag_rules"}  # the [tags] table
    keys = [f.name for f in fields(Settings) if f.name not in documented_elsewhere]
    assert [k for k in keys if f"`{k}`" not in README] == []
