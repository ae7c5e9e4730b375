"""The run ledger in the store: one claim per job and slot whoever asks, on both backends;
migration 0006 up and down."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect

from sigtrack.adapters.storage import SqlSignalStore, create_store_engine, migrate
from sigtrack.adapters.storage.engine import HEAD_REVISION, _alembic_config, current_revision
from sigtrack.core.jobs import RunState

SLOT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_four_processes_claiming_one_slot_get_one_claim(db_url: str) -> None:
    stores = [SqlSignalStore(create_store_engine(db_url)) for _ in range(4)]
    migrate(stores[0].engine)
    start, won = threading.Barrier(4), []

    def claim(store: SqlSignalStore) -> None:
        start.wait()
        won.append(store.claim_slot("backup", SLOT, now=SLOT, max_attempts=3, lease_s=60))

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(won, key=str) == [1, None, None, None]
    [run] = stores[0].job_runs("backup")
    assert (run.state, run.attempts) == (RunState.RUNNING, 1)
    for store in stores:
        store.dispose()


def test_a_failed_slot_is_claimed_again_until_the_last_attempt(db_url: str) -> None:
    store = SqlSignalStore(create_store_engine(db_url))
    migrate(store.engine)
    attempts = []
    for minute in range(4):
        now = SLOT + timedelta(minutes=minute)
        attempts.append(store.claim_slot("backup", SLOT, now=now, max_attempts=3, lease_s=60))
        store.finish_slot("backup", SLOT, state=RunState.FAILED, now=now, error="x" * 5000,
                          duration_s=0.5)  # fmt: skip

    assert attempts == [1, 2, 3, None]
    [run] = store.job_runs("backup")
    assert (run.state, run.attempts, len(run.error or ""), run.duration_s) == (
        RunState.FAILED, 3, 2000, 0.5)  # fmt: skip
    assert store.mark_told("backup", SLOT) is True
    assert store.mark_told("backup", SLOT) is False
    assert store.mark_missed("backup", SLOT, now=SLOT) is False  # it has a row already
    store.dispose()


def test_migration_0006_goes_down_and_up_again(db_url: str) -> None:
    engine = create_store_engine(db_url)
    migrate(engine)
    store = SqlSignalStore(engine)
    store.register_job("backup", now=SLOT)
    config = _alembic_config()

    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    assert {"jobs", "job_runs"}.isdisjoint(inspect(engine).get_table_names())

    assert migrate(engine) is True
    assert current_revision(engine) == HEAD_REVISION  # 0006 and every later one
    assert store.register_job("backup", now=SLOT + timedelta(days=1)) == SLOT + timedelta(days=1)
    engine.dispose()
