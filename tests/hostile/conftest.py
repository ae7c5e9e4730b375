"""Hostile input at every entry point: the fixtures (the store on SQLite and on PostgreSQL,
a clean environment); the store and its snapshot are in hostile_support.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_support import Store

# the e2e helpers (Cli, running_bot, the fake Bot API fixture) live beside the e2e tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from telegram_fake import fake_bot_api  # noqa: F401  (the fixture, for the bot tests)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SIGTRACK_* variable of this machine, and a working directory of the test's own."""
    for name in list(os.environ):
        if name.startswith("SIGTRACK_"):
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The seeded store, once on SQLite and once on PostgreSQL (a fresh schema per test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hostile.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    seeded = Store(url)
    yield seeded
    seeded.dispose()
