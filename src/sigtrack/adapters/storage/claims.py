"""Monitors sharing the open signals: a pass claims its symbols one by one, each locked until
the pass ends.

On PostgreSQL every symbol has a row in `settle_claims`. A pass first inserts the rows it
lacks (one monitor at a time, committed at once), then, in a transaction of its own kept
open until the pass ends, claims the next symbol each time it asks: `FOR UPDATE SKIP
LOCKED`, so that a symbol another monitor holds is skipped, and not one claimed since this
transaction began (another monitor settled it in this round and has let it go). The
commit at the end releases the locks; a killed monitor's go with its connection. Claiming
one symbol at a time shares the work out as the monitors go, where one `SELECT … FOR
UPDATE SKIP LOCKED` of them all would hand every symbol to whichever monitor asked first.

On SQLite (one writer anyway) a pass gets every symbol, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from sigtrack.core.errors import StorageError, StoreUnavailable
from sigtrack.services.ports import SymbolClaims

# Only the rows missing, and those inserted one monitor at a time (a transaction-level
# advisory lock): an INSERT meeting a row another monitor inserted at the same moment, and
# then claimed (updated, not yet committed), would wait for that monitor's whole pass to end.
_MISSING = text(
    "SELECT s FROM unnest(CAST(:symbols AS text[])) AS s "
    "WHERE NOT EXISTS (SELECT 1 FROM settle_claims AS c WHERE c.symbol = s)"
)
_INSERTING = text("SELECT pg_advisory_xact_lock(:key)")
_INSERTING_KEY = 0x5E771E_C1A1  # "settle claims": the inserts of missing rows, one at a time
_INSERT = text(
    "INSERT INTO settle_claims (symbol) SELECT s FROM unnest(CAST(:symbols AS text[])) AS s "
    "WHERE NOT EXISTS (SELECT 1 FROM settle_claims AS c WHERE c.symbol = s) "
    "ON CONFLICT DO NOTHING"
)
# now(): when this claiming transaction began; clock_timestamp(): the moment of the claim.
_CLAIM = text(
    "UPDATE settle_claims SET claimed_by = :owner, claimed_at = clock_timestamp() "
    "WHERE symbol = (SELECT symbol FROM settle_claims "
    "WHERE symbol = ANY(CAST(:symbols AS text[])) "
    "AND (claimed_at IS NULL OR claimed_at < now()) "
    "ORDER BY symbol LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING symbol"
)


@contextmanager
def claim_symbols(
    engine: Engine, symbols: Collection[str], *, owner: str
) -> Iterator[SymbolClaims]:
    """The symbols of `symbols` this pass settles, claimed as it iterates over them."""
    names = sorted(set(symbols))
    if engine.dialect.name != "postgresql" or not names:
        yield SymbolClaims(symbols=iter(names), is_shared=engine.dialect.name == "postgresql")
        return
    with _translated():
        with engine.begin() as conn:
            missing = list(conn.execute(_MISSING, {"symbols": names}).scalars())
            if missing:  # (the INSERT's own look sees the rows of those that came first)
                conn.execute(_INSERTING, {"key": _INSERTING_KEY})
                conn.execute(_INSERT, {"symbols": missing})
        conn = engine.connect()
    try:
        with _translated():
            conn.begin()
        yield SymbolClaims(symbols=_claiming(conn, names, owner), is_shared=True)
        with _translated():
            conn.commit()
    finally:
        conn.close()  # a transaction still open (the pass failed) is rolled back


def _claiming(conn: Connection, names: list[str], owner: str) -> Iterator[str]:
    left = list(names)
    while left:
        with _translated():
            got = conn.execute(_CLAIM, {"owner": owner[:64], "symbols": left}).scalar()
        if got is None:  # every one left is another monitor's, this round
            return
        left.remove(got)
        yield got


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"database error: {exc}") from exc
