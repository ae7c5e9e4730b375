"""Engines for SQLite (WAL, busy timeout, real transactions) and PostgreSQL, and migrations."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from sigtrack.core.errors import InvalidInput, StorageError, StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

# The newest migration in migrations/versions (a test keeps the two in step). Knowing it
# lets an up-to-date store open without importing Alembic, which is slow to import.
HEAD_REVISION = "0008"
CONNECT_TIMEOUT_S = 5  # PostgreSQL: the wait for an unreachable host

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
        parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    except ArgumentError:
        raise InvalidInput("database_url", f"is not a database URL (got {url!r})") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout_s, sqlite_synchronous)
    if parsed.drivername in {"postgres", "postgresql"}:
        # Supabase and Heroku hand out postgres://…; sigtrack ships the psycopg 3 driver.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "postgresql":
        # A host that does not answer fails the connection within seconds, not minutes.
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S})  # fmt: skip
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
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        try:
            conn.connection.driver_connection.execute(statement)
        except sqlite3.OperationalError as exc:  # locked past the busy timeout, disk full …
            raise OperationalError(statement, None, exc) from exc

    return engine


def _alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 - only when migrating

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest revision as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - only when migrating

    head: str | None = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    return head


def _known_revisions() -> set[str]:
    """The revisions of the migration scripts (`0001_….py` → "0001")."""
    return {p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py")}


def _revision_of(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision_of(conn)


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest revision; True when something was applied.

    Safe when several processes start at once: PostgreSQL serialises them with an
    advisory lock, SQLite with its write lock.
    """
    try:
        if current_revision(engine) == HEAD_REVISION:
            return False
        from alembic import command  # noqa: PLC0415 - only when migrating

        config = _alembic_config()
        with engine.execution_options(**IMMEDIATE).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            revision = _revision_of(conn)
            if revision == HEAD_REVISION:
                return False
            if revision is not None and revision not in _known_revisions():
                raise StorageError(
                    f"the database's schema is at revision {revision!r}, which this sigtrack "
                    f"does not know (it knows up to {HEAD_REVISION}): it was made by a newer "
                    "sigtrack; upgrade sigtrack to open it (nothing was changed)"
                )
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        logger.info("database migrated to %s", HEAD_REVISION)
        return True
    except OperationalError as exc:
        raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"could not migrate the database: {exc}") from exc
