"""Hostile input at every entry point: a seeded store, and a snapshot that proves a refused
request left every table as it was."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import bot_signal, settings_for
from sigtrack.bootstrap import App, build_app

# the e2e helpers (Cli, running_bot, the fake Bot API fixture) live beside the e2e tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from telegram_fake import fake_bot_api  # noqa: F401  (the fixture, for the bot tests)

NOW = datetime(2026, 1, 8, 6, 0, tzinfo=UTC)
SQL = ("'; DROP TABLE signals; --", "1 OR 1=1", '" OR ""="', "x'); DELETE FROM activity; --")
HTML = ("<script>alert(1)</script>", "<b>bold</b> & <i>", "<img src=x onerror=alert(1)>")
HOSTILE_TEXTS = SQL + HTML


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SIGTRACK_* variable of this machine, and a working directory of the test's own."""
    for name in list(os.environ):
        if name.startswith("SIGTRACK_"):
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def seed(app: App, count: int = 3) -> list[str]:
    """`count` open signals and one closed, so that a refused write has rows to harm."""
    ids = []
    for n in range(count + 1):
        signal = app.tracking.build_signal(
            bot_signal(symbol=("BTCUSDT", "ETHUSDT")[n % 2], entry_price=50000.0 + n),
            now=NOW, created_at=NOW - timedelta(hours=n + 1), receivers=[1001],
        )  # fmt: skip
        ids.append(app.tracking.track(signal, now=NOW))
    app.tracking.close(ids[-1], result="win", pnl_pct=2.0, actor="seed", now=NOW)
    app.tracking.track_command(user_id=1001, username="seed", command="/winrate", now=NOW)
    return ids[:-1]


def snapshot(db_file: Path, *, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Every table of the SQLite store: its row count and a hash of its rows."""
    with sqlite3.connect(db_file) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        shot = {}
        for name in sorted(set(names) - set(skip)):
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{name}"'))
            shot[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    conn.close()
    return shot


class Store:
    """A seeded SQLite store and its snapshot before the hostile case."""

    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        self.url = f"sqlite:///{db_file}"
        self.app = build_app(settings_for(self.url))
        self.ids = seed(self.app)
        self.before = snapshot(db_file)

    def assert_unchanged(self, *, skip: tuple[str, ...] = ()) -> None:
        before = {k: v for k, v in self.before.items() if k not in skip}
        assert snapshot(self.db_file, skip=skip) == before

    def rows(self, table: str) -> int:
        return snapshot(self.db_file)[table][0]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    seeded = Store(tmp_path / "hostile.db")
    yield seeded
    seeded.app.store.dispose()
