"""SQL storage of signals (SQLAlchemy 2 Core, Alembic migrations; SQLite or PostgreSQL)."""

from sigtrack.adapters.storage.engine import create_store_engine, migrate, sqlite_url_for
from sigtrack.adapters.storage.store import SqlSignalStore

__all__ = ["SqlSignalStore", "create_store_engine", "migrate", "sqlite_url_for"]
