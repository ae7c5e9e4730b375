"""Engines for SQLite (WAL, busy timeout, real transactions) and PostgreSQL, and migrations."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sigtrack.core.errors import InvalidInput, StorageError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
IMMEDIATE = {"sqlite_immediate": True}  # execution option: take the write lock at BEGIN
_PG_MIGRATION_LOCK = 0x5167_7472  # any constant: one migrator at a time per database


def sqlite_url_for(path: str | Path) -> str:
    return f"sqlite:///{Path(path)}"


def create_store_engine(
    url: str, *, busy_timeout_s: float = 10.0, sqlite_synchronous: str = "NORMAL"
) -> Engine:
    """An engine for `url`; SQLite files get WAL, a busy timeout and real BEGIN handling."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput("database_url", f"is not a database URL (got {url!r})") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout_s, sqlite_synchronous)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise InvalidInput(
        "database_url", f"must be sqlite:///… or postgresql+psycopg://… (got {url!r})"
    )


def _sqlite_engine(url: str, busy_timeout_s: float, synchronous: str) -> Engine:
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise InvalidInput(
            "sqlite_synchronous", f"must be OFF, NORMAL, FULL or EXTRA (got {synchronous!r})"
        )
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the lock at once, so that it waits (busy timeout)
        # instead of failing when it later upgrades from a read lock.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest revision; True when something was applied.

    Safe when several processes start at once: PostgreSQL serialises them with an
    advisory lock, SQLite with its write lock.
    """
    try:
        head = head_revision()
        if current_revision(engine) == head:
            return False
        config = _alembic_config()
        with engine.execution_options(**IMMEDIATE).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            if MigrationContext.configure(conn).get_current_revision() == head:
                return False
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        logger.info("database migrated to %s", head)
        return True
    except SQLAlchemyError as exc:
        raise StorageError(f"could not migrate the database: {exc}") from exc
