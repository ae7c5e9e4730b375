"""Monitors sharing the open signals: `claim_symbols` on PostgreSQL (row locks, SKIP LOCKED)
and SQLite (every symbol)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sigtrack.adapters.storage import SqlSignalStore
from sigtrack.adapters.storage.engine import create_store_engine, migrate
from sigtrack.adapters.storage.tables import settle_claims
from sigtrack.core.errors import StoreUnavailable

SYMBOLS = ["ADAUSDT", "BTCUSDT", "ETHUSDT"]


def store_at(url: str) -> SqlSignalStore:
    engine = create_store_engine(url)
    migrate(engine)
    return SqlSignalStore(engine, checkpoint_interval_s=None)


@pytest.fixture
def two_stores(pg_url: str) -> Iterator[tuple[SqlSignalStore, SqlSignalStore]]:
    """Two monitors' stores on one PostgreSQL database (each its own pool)."""
    first, second = store_at(pg_url), store_at(pg_url)
    yield first, second
    first.dispose()
    second.dispose()


def claims_of(store: SqlSignalStore) -> dict[str, str | None]:
    with store.engine.connect() as conn:
        query = select(settle_claims.c.symbol, settle_claims.c.claimed_by)
        return {symbol: owner for symbol, owner in conn.execute(query)}


@pytest.mark.postgres
def test_a_second_monitor_gets_the_symbols_the_first_does_not_hold(
    two_stores: tuple[SqlSignalStore, SqlSignalStore],
) -> None:
    first, second = two_stores
    with first.claim_symbols(SYMBOLS, owner="m1") as mine:
        got = [next(iter(mine)), next(iter(mine))]  # the first two; the third not asked for
        with second.claim_symbols(SYMBOLS, owner="m2") as theirs:
            assert theirs.is_shared
            assert list(theirs) == ["ETHUSDT"]
        assert got == ["ADAUSDT", "BTCUSDT"]
        assert list(mine) == []  # the third went to the second monitor: this round is over
    assert claims_of(first) == {"ADAUSDT": "m1", "BTCUSDT": "m1", "ETHUSDT": "m2"}


@pytest.mark.postgres
def test_after_the_first_monitor_commits_the_second_takes_the_symbols_it_held(
    two_stores: tuple[SqlSignalStore, SqlSignalStore],
) -> None:
    first, second = two_stores
    first_block = first.claim_symbols(SYMBOLS, owner="m1")
    mine = iter(first_block.__enter__())
    held = [next(mine), next(mine)]
    with second.claim_symbols(SYMBOLS, owner="m2") as theirs:
        later = iter(theirs)
        assert next(later) == "ETHUSDT"
        first_block.__exit__(None, None, None)  # the first pass ends: its commit lets go
        assert list(later) == held  # claimed before this pass began: free again now
    assert claims_of(first) == dict.fromkeys(SYMBOLS, "m2")


@pytest.mark.postgres
def test_a_symbol_claimed_since_a_pass_began_is_not_settled_again_in_that_pass(
    two_stores: tuple[SqlSignalStore, SqlSignalStore],
) -> None:
    first, second = two_stores
    with second.claim_symbols(SYMBOLS, owner="m2") as theirs:
        later = iter(theirs)
        assert next(later) == "ADAUSDT"  # this pass has begun
        with first.claim_symbols(["BTCUSDT"], owner="m1") as mine:
            assert list(mine) == ["BTCUSDT"]
        # BTCUSDT is free again but was settled in this round, after this pass began
        assert list(later) == ["ETHUSDT"]


@pytest.mark.postgres
def test_a_killed_monitors_symbols_go_with_its_connection(
    two_stores: tuple[SqlSignalStore, SqlSignalStore],
) -> None:
    first, second = two_stores
    with pytest.raises(StoreUnavailable), first.claim_symbols(SYMBOLS, owner="m1") as mine:
        assert next(iter(mine)) == "ADAUSDT"
        with second.engine.connect() as conn:  # its backend is killed, as with the process
            # with a timeout it waits until the backend has exited and its locks are gone
            killed = conn.execute(text(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND query LIKE 'UPDATE settle_claims%'"
            )).scalars().all()  # fmt: skip
            assert killed == [True]
        with second.claim_symbols(SYMBOLS, owner="m2") as theirs:
            assert list(theirs) == SYMBOLS
    with second.claim_symbols(SYMBOLS, owner="m2") as theirs:
        assert list(theirs) == SYMBOLS  # a later pass: every symbol again


@pytest.mark.postgres
def test_a_new_symbol_gets_its_row_while_another_monitor_holds_the_others(
    two_stores: tuple[SqlSignalStore, SqlSignalStore],
) -> None:
    first, second = two_stores
    with first.claim_symbols(SYMBOLS, owner="m1") as mine:
        assert list(mine) == SYMBOLS
        # the INSERT of the missing row does not wait for the first pass's locks to go
        with second.claim_symbols([*SYMBOLS, "SOLUSDT"], owner="m2") as theirs:
            assert list(theirs) == ["SOLUSDT"]


def test_on_sqlite_a_pass_gets_every_symbol_and_nothing_is_written(tmp_path: Path) -> None:
    store = store_at(f"sqlite:///{tmp_path / 'sigtrack.db'}")
    try:
        with store.claim_symbols(["ETHUSDT", *SYMBOLS], owner="m1") as mine:
            assert not mine.is_shared
            assert list(mine) == SYMBOLS
        with store.claim_symbols(SYMBOLS, owner="m2") as theirs:
            assert list(theirs) == SYMBOLS
        assert claims_of(store) == {}
    finally:
        store.dispose()
