"""The hostile tests' store: seeded on SQLite or PostgreSQL, and a snapshot that proves a
refused request left every table as it was (a module of its own, not conftest, so that the
tests import it by a name no other folder's conftest shadows)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, create_engine, text

from factories import bot_signal, settings_for
from sigtrack.bootstrap import App, build_app

NOW = datetime(2026, 1, 8, 6, 0, tzinfo=UTC)
SQL = ("'; DROP TABLE signals; --", "1 OR 1=1", '" OR ""="', "x'); DELETE FROM activity; --")
HTML = ("<script>alert(1)</script>", "<b>bold</b> & <i>", "<img src=x onerror=alert(1)>")
HOSTILE_TEXTS = SQL + HTML


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


def _table_names(conn: Connection) -> list[str]:
    """Every table of the store: SQLite's file, or the PostgreSQL schema on the search_path."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        query = ("SELECT table_name FROM information_schema.tables "
                 "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")  # fmt: skip
    return [str(row[0]) for row in conn.execute(text(query))]


def snapshot(store: Store, *, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Every table of the store: its row count and a hash of its rows (as the driver reads
    them, sorted by their repr)."""
    shot = {}
    with store.reader.connect() as conn:
        for name in sorted(set(_table_names(conn)) - set(skip)):
            rows = sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{name}"')))
            shot[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return shot


class Store:
    """A seeded store (SQLite or PostgreSQL) and its snapshot before the hostile case."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.app = build_app(settings_for(self.url))
        self.reader: Engine = create_engine(url)  # the snapshots' own connection
        self.ids = seed(self.app)
        self.before = snapshot(self)

    def assert_unchanged(self, *, skip: tuple[str, ...] = ()) -> None:
        before = {k: v for k, v in self.before.items() if k not in skip}
        assert snapshot(self, skip=skip) == before

    def rows(self, table: str) -> int:
        return snapshot(self)[table][0]

    def dispose(self) -> None:
        self.reader.dispose()
        self.app.store.dispose()
