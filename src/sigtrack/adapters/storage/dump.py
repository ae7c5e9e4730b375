"""A portable dump of sigtrack's tables (SQLite or PostgreSQL), its restore, and the
per-table digests that prove a copy holds the same rows.

The dump is one gzipped JSON-lines file per table (`tables/<name>.jsonl.gz`), rows in
primary-key order, each a canonical JSON object (keys sorted, times as ISO-8601 UTC, JSON
columns as values), so that the same content gives the same sha256 on either backend and
a PostgreSQL dump restores into SQLite and the other way round. A SQLite store is first
copied with the online backup API into `store.sqlite`, and the tables are read from that
copy, so the dump is one consistent moment; PostgreSQL is read in one REPEATABLE READ READ
ONLY transaction.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    String,
    Table,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    null,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from sigtrack.adapters.storage.engine import IMMEDIATE
from sigtrack.adapters.storage.tables import metadata, signals
from sigtrack.adapters.storage.types import UtcDateTime
from sigtrack.core.backups import DumpSummary, TableDigest, compare_tables
from sigtrack.core.errors import BackupError

SNAPSHOT_NAME = "store.sqlite"
TABLES_DIR = "tables"
_BATCH = 1000
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def table_file(name: str) -> str:
    """Where table `name` sits inside a backup folder."""
    return f"{TABLES_DIR}/{name}.jsonl.gz"


class StoreDump:
    """Dump, restore and digest the tables of the store behind `engine`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def backend(self) -> str:
        return self._engine.dialect.name

    def dump(self, folder: Path) -> DumpSummary:
        """Write `tables/*.jsonl.gz` (and for SQLite `store.sqlite`) into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        try:
            if self.backend == "sqlite":
                snapshot = folder / SNAPSHOT_NAME
                self._snapshot(snapshot)
                reader = create_engine(f"sqlite:///file:{snapshot.resolve()}?mode=ro&uri=true")
                try:
                    with reader.connect() as conn, conn.begin():
                        return self._dump_from(conn, folder)
                finally:
                    reader.dispose()
            with _repeatable_read(self._engine) as conn:
                return self._dump_from(conn, folder)
        except SQLAlchemyError as exc:
            raise BackupError(f"could not read the store for a backup: {exc}") from exc
        except (sqlite3.Error, OSError) as exc:
            raise BackupError(f"could not write the dump into {folder}: {exc}") from exc

    def _snapshot(self, target: Path) -> None:
        """SQLite's online backup of the live store into `target` (never a file copy)."""
        raw = self._engine.raw_connection()
        try:
            source = raw.driver_connection
            assert isinstance(source, sqlite3.Connection)
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)  # one step: the copy is one moment of the store
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
        finally:
            raw.close()

    def _dump_from(self, conn: Connection, folder: Path) -> DumpSummary:
        revision = _revision(conn)
        digests: dict[str, TableDigest] = {}
        (folder / TABLES_DIR).mkdir(exist_ok=True)
        for table in metadata.sorted_tables:
            with _gzip_writer(folder / table_file(table.name)) as out:
                digests[table.name] = _digest(table, _canonical_lines(conn, table), out)
        return DumpSummary(backend=self.backend, schema_revision=revision, tables=digests)

    def digests(self) -> dict[str, TableDigest]:
        """Row count and content hash of every table of the live store."""
        try:
            with self._engine.connect() as conn:
                return _digests(conn)
        except SQLAlchemyError as exc:
            raise BackupError(f"could not read the store: {exc}") from exc

    def signal_count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(signals)).scalar_one())

    def schema_revision(self) -> str:
        with self._engine.connect() as conn:
            return _revision(conn)

    def integrity(self) -> list[str]:
        """SQLite's `PRAGMA integrity_check` lines (["ok"] when sound); PostgreSQL: ["ok"]."""
        if self.backend != "sqlite":
            return ["ok"]
        with self._engine.connect() as conn:
            return [str(row[0]) for row in conn.execute(text("PRAGMA integrity_check"))]

    def restore(
        self, folder: Path, *, schema_revision: str, expected: Mapping[str, TableDigest]
    ) -> dict[str, TableDigest]:
        """Load the dump in `folder` into this store in one transaction, ids kept, after
        removing whatever the store held; returns the digests read back from the store.

        The store must be at `schema_revision` (the backup's), and what it holds after the
        load must digest as `expected` (the manifest's); else nothing is changed."""
        try:
            with self._engine.execution_options(**IMMEDIATE).begin() as conn:
                revision = _revision(conn)
                if revision != schema_revision:
                    raise BackupError(
                        f"the backup is of schema revision {schema_revision} but the store is "
                        f"at {revision}; restore it with the sigtrack version that made it"
                    )
                for table in reversed(metadata.sorted_tables):
                    conn.execute(delete(table))
                for table in metadata.sorted_tables:
                    _load(conn, table, folder)
                if conn.dialect.name == "postgresql":
                    _advance_sequences(conn)
                loaded = _digests(conn)
                problems = compare_tables(expected, loaded)
                if problems:
                    raise BackupError(
                        "the restored store differs from the manifest (nothing restored): "
                        + "; ".join(str(p) for p in problems)
                    )
                return loaded
        except SQLAlchemyError as exc:
            raise BackupError(f"could not restore into the store: {exc}") from exc
        except (OSError, EOFError, ValueError) as exc:
            raise BackupError(f"could not read the dump in {folder}: {exc}") from exc

    def held_rows(self) -> dict[str, int]:
        """The tables that hold rows, with their counts."""
        with self._engine.connect() as conn:
            counts = {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in metadata.sorted_tables
            }
        return {name: n for name, n in counts.items() if n}


@contextmanager
def _repeatable_read(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as plain:
        conn = plain.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


@contextmanager
def _gzip_writer(path: Path) -> Iterator[gzip.GzipFile]:
    # mtime=0 and no file name: the same rows give the same bytes
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        yield out


def _revision(conn: Connection) -> str:
    if not inspect(conn).has_table("alembic_version"):
        raise BackupError("the store has no schema revision (run `sigtrack init` first)")
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision is None:
        raise BackupError("the store has no schema revision (run `sigtrack init` first)")
    return str(revision)


def _canonical_lines(conn: Connection, table: Table) -> Iterator[bytes]:
    """The table's rows as canonical JSON lines, in primary-key order (byte order for
    text keys on both backends)."""
    keys = [
        c.collate("C") if isinstance(c.type, String) and conn.dialect.name == "postgresql" else c
        for c in table.primary_key.columns
    ]
    columns = list(table.columns)
    result = conn.execution_options(yield_per=_BATCH).execute(select(table).order_by(*keys))
    for row in result:
        item = {c.name: _encode(c, value) for c, value in zip(columns, row, strict=True)}
        yield json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digests(conn: Connection) -> dict[str, TableDigest]:
    return {t.name: _digest(t, _canonical_lines(conn, t)) for t in metadata.sorted_tables}


def _digest(table: Table, lines: Iterable[bytes], out: gzip.GzipFile | None = None) -> TableDigest:
    hasher = hashlib.sha256()
    rows = 0
    for line in lines:
        hasher.update(line + b"\n")
        if out is not None:
            out.write(line + b"\n")
        rows += 1
    return TableDigest(rows=rows, sha256=hasher.hexdigest())


def _encode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UtcDateTime):
        moment: datetime = value
        return moment.astimezone(UTC).strftime(_TIME_FORMAT)
    if isinstance(kind, JSON):
        return value
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Float):
        return float(value)
    if isinstance(kind, Integer):
        return int(value)
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        # a JSON column's None is SQL NULL (JSON null only where NULL is not allowed)
        if isinstance(column.type, JSON):
            return null() if column.nullable else JSON.NULL
        return None
    if isinstance(column.type, UtcDateTime):
        return datetime.fromisoformat(str(value)).astimezone(UTC)
    return value


def _load(conn: Connection, table: Table, folder: Path) -> int:
    path = folder / table_file(table.name)
    if not path.is_file():
        raise BackupError(f"{table_file(table.name)}: missing from the backup")
    columns = {c.name: c for c in table.columns}
    rows = 0
    batch: list[dict[str, Any]] = []
    with gzip.open(path, "rb") as lines:
        for line in lines:
            item: Mapping[str, Any] = json.loads(line)
            unknown = set(item) - set(columns)
            if unknown:
                raise BackupError(
                    f"{table_file(table.name)}: column(s) {sorted(unknown)} are not in the schema"
                )
            batch.append({name: _decode(c, item.get(name)) for name, c in columns.items()})
            rows += 1
            if len(batch) >= _BATCH:
                conn.execute(insert(table), batch)
                batch = []
    if batch:
        conn.execute(insert(table), batch)
    return rows


def _advance_sequences(conn: Connection) -> None:
    """Set each serial id's sequence past the highest restored id (PostgreSQL)."""
    for table in metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or key[0].autoincrement is not True:
            continue
        column = key[0].name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                f'COALESCE(MAX("{column}"), 0) + 1, false) FROM "{table.name}"'
            ),
            {"t": table.name, "c": column},
        )
