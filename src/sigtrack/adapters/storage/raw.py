"""Hot-path statements: compiled once per dialect by SQLAlchemy, run on the DBAPI cursor.

SQLAlchemy's per-execution machinery costs about 0.3 ms on a small machine, more than
SQLite spends on the statement itself; `track` and `close` run their few statements
here. Values pass through the columns' own bind and result processors, so rows written
or read this way are exactly those the Core paths write and read; except
`executemany_encoded`, whose rows the caller has already encoded (adapters/storage/bulk.py,
held equal to the Core path's by tests/adapters/test_store_bulk.py). On PostgreSQL the
network round trip dominates and psycopg needs SQLAlchemy's type casts, so there the
same calls simply go through Core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ColumnElement, Insert
from sqlalchemy.sql.expression import Executable

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class RawStatement:
    sql: str
    names: tuple[str, ...] | None  # bind order for positional paramstyles; None: by name
    processors: dict[str, Processor]
    results: tuple[tuple[str, Processor | None], ...]  # (key, processor) per result column

    def args(self, values: dict[str, Any]) -> Any:
        if not self.processors:
            return values if self.names is None else tuple(values[n] for n in self.names)
        processed = dict(values)
        for name, proc in self.processors.items():
            if name in processed:
                processed[name] = proc(processed[name])
        if self.names is None:
            return processed
        return tuple(processed[name] for name in self.names)

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        return {
            key: (proc(value) if proc else value)
            for (key, proc), value in zip(self.results, raw, strict=True)
        }


class RawSql:
    """A cache of `RawStatement`s for one dialect, and the calls that run them."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._cache: dict[str, RawStatement] = {}

    def _compile(
        self, key: str, build: Callable[[], Executable], column_keys: Sequence[str] | None
    ) -> RawStatement:
        found = self._cache.get(key)
        if found is not None:
            return found
        statement = build()
        keys = list(column_keys) if column_keys and isinstance(statement, Insert) else None
        compiled = statement.compile(dialect=self.dialect, column_keys=keys)  # type: ignore[attr-defined]
        processors: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            proc = bind.type.dialect_impl(self.dialect).bind_processor(self.dialect)
            if proc is not None:
                processors[name] = proc
        results: list[tuple[str, Processor | None]] = []
        for column in getattr(statement, "exported_columns", ()):
            assert isinstance(column, ColumnElement) and column.key is not None
            impl = column.type.dialect_impl(self.dialect)
            results.append((column.key, impl.result_processor(self.dialect, None)))
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        raw = RawStatement(compiled.string, names, processors, tuple(results))
        self._cache[key] = raw
        return raw

    def execute(
        self, conn: Connection, key: str, build: Callable[[], Executable], values: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run one statement; the rows it returns, processed (empty for plain writes).

        An INSERT gets a VALUES clause for exactly the keys of `values`."""
        if self.dialect.name != "sqlite":
            result = conn.execute(build(), values)
            return [dict(row) for row in result.mappings()] if result.returns_rows else []
        statement = self._compile(key, build, list(values))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with self.as_sqlalchemy_errors(statement.sql):
                cursor.execute(statement.sql, statement.args(values))
                if cursor.description is None:
                    return []
                return [statement.row(raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def executemany(
        self,
        conn: Connection,
        key: str,
        build: Callable[[], Executable],
        rows: Sequence[dict[str, Any]],
    ) -> None:
        if not rows:
            return
        if self.dialect.name != "sqlite":
            conn.execute(build(), list(rows))
            return
        statement = self._compile(key, build, list(rows[0]))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with self.as_sqlalchemy_errors(statement.sql):
                cursor.executemany(statement.sql, [statement.args(row) for row in rows])
        finally:
            cursor.close()

    def executemany_encoded(
        self,
        conn: Connection,
        key: str,
        build: Callable[[], Executable],
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """An INSERT of rows already in their stored form (SQLite only): one tuple per row,
        values in `columns` order, passed to the driver untouched (no bind processors)."""
        if not rows:
            return
        statement = self._compile(key, build, columns)
        if statement.names != tuple(columns):
            raise AssertionError(f"{key}: compiled for {statement.names}, not {columns}")
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with self.as_sqlalchemy_errors(statement.sql):
                cursor.executemany(statement.sql, rows)
        finally:
            cursor.close()

    @contextmanager
    def as_sqlalchemy_errors(self, sql: str) -> Iterator[None]:
        """Driver errors raised as SQLAlchemy raises them (IntegrityError,
        OperationalError …), so the store retries or reports them as on the Core path."""
        dbapi_error: type[Exception] = self.dialect.loaded_dbapi.Error
        try:
            yield
        except dbapi_error as exc:
            raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc
