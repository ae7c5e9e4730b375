"""End-to-end fixtures: the CLI run in-process against a store in tmp_path, nothing else touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_support import Cli

from telegram_fake import fake_bot_api  # noqa: F401  (the fixture, for the bot tests)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SIGTRACK_* variable of this machine, and a working directory with no sigtrack.toml."""
    for name in list(os.environ):
        if name.startswith("SIGTRACK_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("SIGTRACK_DATABASE_URL", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'x.db'}"


@pytest.fixture
def cli(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(sqlite_url, capsys)


@pytest.fixture
def pg_cli(pg_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(pg_url, capsys)
