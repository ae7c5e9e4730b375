"""A write that PostgreSQL picks to break a deadlock is tried again: the store is up, so the
operation must neither fail as "database unavailable" nor go to the journal."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, text

from sigtrack.adapters.storage import SqlSignalStore
from sigtrack.adapters.storage.engine import create_store_engine, migrate

pytestmark = pytest.mark.postgres


def test_the_loser_of_a_deadlock_is_retried_and_both_writes_land(pg_url: str) -> None:
    stores = [SqlSignalStore(create_store_engine(pg_url)) for _ in range(2)]
    migrate(stores[0].engine)
    with stores[0].engine.begin() as conn:
        conn.execute(text("CREATE TABLE pair (k int PRIMARY KEY, n int NOT NULL)"))
        conn.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    met = threading.Barrier(2, timeout=30)
    tries = [0, 0]

    def writer(me: int) -> int:
        first, second = (1, 2) if me == 0 else (2, 1)

        def work(conn: Connection) -> int:
            tries[me] += 1
            bump = text("UPDATE pair SET n = n + 1 WHERE k = :k")
            conn.execute(bump, {"k": first})
            if tries[me] == 1:
                met.wait()  # each holds its first row: the second updates cross
            conn.execute(bump, {"k": second})
            return tries[me]

        return stores[me]._write(work)

    with ThreadPoolExecutor(2) as pool:
        attempts = sorted(pool.map(writer, [0, 1]))

    assert attempts == [1, 2]  # one won at once; the loser was tried again and landed
    with stores[0].engine.connect() as conn:
        assert dict(conn.execute(text("SELECT k, n FROM pair")).all()) == {1: 2, 2: 2}
    for store in stores:
        store.dispose()
