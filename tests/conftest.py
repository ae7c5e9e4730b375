"""Shared fixtures: a store on every backend, a fixed clock, no network beyond loopback."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from factories import settings_for
from sigtrack.tracker import Tracker

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "SIGTRACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta, a Monday
# The shared notes sit beside the repository (../shared), not inside it.
ORIGIN_DIR = Path(
    os.environ.get(
        "SIGTRACK_TEST_ORIGIN_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "origin"
    )
)


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a host that is not loopback fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if isinstance(host, str) and host not in {"127.0.0.1", "::1", "localhost"}:
            raise RuntimeError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _require(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def origin_notes() -> Path:
    """origin/auto_signal_tracking.md, the old tracker's description (required in CI)."""
    path = ORIGIN_DIR / "auto_signal_tracking.md"
    if not path.is_file():
        _require(f"the old tracker's notes are absent: {path} (set SIGTRACK_TEST_ORIGIN_DIR)")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped afterwards."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sigtrack_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        _require(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}: {exc})")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A fresh schema per test inside the run's database (search_path points at it)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{pg_database}?options=-csearch_path%3D{schema}"
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sigtrack.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def tracker(db_url: str) -> Iterator[Tracker]:
    with Tracker.open(settings=settings_for(db_url)) as opened:
        yield opened


@pytest.fixture
def sqlite_tracker(tmp_path: Path) -> Iterator[Tracker]:
    with Tracker.open(settings=settings_for(f"sqlite:///{tmp_path / 'sigtrack.db'}")) as opened:
        yield opened


NOT_RUN_IN_FULL = ("skipped", "xfailed", "xpassed")  # outcomes a green CI run must not hold


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped, xfailed or xpassed test is a failure: a green run must have run
    everything, and run it to a pass (an expected failure is a known bug left in)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    counts = {
        kind: len(reporter.stats.get(kind, [])) if reporter else 0 for kind in NOT_RUN_IN_FULL
    }
    if IN_CI and any(counts.values()) and session.exitstatus == 0:
        if reporter:
            found = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
            reporter.write_line(f"CI: {found}; everything is required to pass in CI")
        session.exitstatus = 1
