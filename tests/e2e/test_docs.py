"""The README documents every command, every option of every command, and every setting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from sigtrack.cli import app
from sigtrack.cli.main import COMMAND_MODULES
from sigtrack.config import _ENV, Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
CLI_SECTION = README.split("\n## The CLI\n", 1)[1].split("\n## ", 1)[0]
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def commands(group: TyperGroup, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every command that runs something, by the words that call it ("report weekly")."""
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def long_options(command: Any) -> set[str]:
    names = {name for p in command.params for name in (*p.opts, *p.secondary_opts)}
    return {name for name in names if name.startswith("--")} | {"--help"}


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, TyperGroup)
COMMANDS = dict(commands(ROOT))


def readme_rows() -> dict[str, set[str]]:
    """The options each command's rows of the CLI table name (a command may have two rows)."""
    rows: dict[str, set[str]] = {}
    for line in CLI_SECTION.splitlines():
        cell = re.match(r"\| `sigtrack ([^`]*)` \|", line)
        if cell is None:
            continue
        words = cell.group(1).split()
        name = next(
            (" ".join(words[:n]) for n in (2, 1) if " ".join(words[:n]) in COMMANDS), words[0]
        )
        rows.setdefault(name, set()).update(OPTION.findall(line))
    return rows


def global_sentence() -> set[str]:
    (paragraph,) = [p for p in CLI_SECTION.split("\n\n") if p.strip().startswith("Global options")]
    return set(OPTION.findall(paragraph))


def test_the_readme_opens_with_the_two_commands() -> None:
    opening = "\n".join(README.splitlines()[:12])
    assert "make demo" in opening and "make test" in opening


def test_every_cli_command_has_a_row_in_the_readme_and_every_row_a_command() -> None:
    assert COMMAND_MODULES  # the commands are registered
    rows = readme_rows()
    assert sorted(set(COMMANDS) - set(rows)) == []
    assert sorted(set(rows) - set(COMMANDS)) == []


def test_the_global_options_sentence_names_exactly_the_options_of_the_root() -> None:
    assert global_sentence() == long_options(ROOT)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_of_a_command_is_in_its_readme_row_or_among_the_global_ones(
    name: str,
) -> None:
    documented = readme_rows().get(name, set()) | global_sentence()
    assert sorted(long_options(COMMANDS[name]) - documented) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_a_readme_row_names_is_one_its_command_has(name: str) -> None:
    assert sorted(readme_rows().get(name, set()) - long_options(COMMANDS[name])) == []


def test_every_setting_and_variable_is_in_the_readme() -> None:
    assert [v for v in _ENV if v not in README] == []
    documented_elsewhere = {"tag_rules"}  # the [tags] table
    keys = [f.name for f in fields(Settings) if f.name not in documented_elsewhere]
    assert [k for k in keys if f"`{k}`" not in README] == []
