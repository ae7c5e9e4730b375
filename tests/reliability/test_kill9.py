"""kill -9 at random moments while a real process tracks, batches and closes on a real
store: every acknowledged id and close is stored, and the store stays sound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from reliability_support import check_store, kill_rounds
from sqlalchemy import create_engine, text

from factories import bot_signal, settings_for
from sigtrack import Tracker

ROUNDS = 5  # bench/reliability.py runs 20


def test_workers_killed_at_random_moments_lose_nothing_acknowledged(
    db_url: str, tmp_path: Path
) -> None:
    run = kill_rounds(db_url, tmp_path, rounds=ROUNDS, seed=13)
    assert run.faults == ROUNDS and run.acknowledged >= ROUNDS
    assert (run.lost, run.duplicated, run.problems) == (0, 0, []), run.notes
    assert run.present == run.acknowledged


def test_check_store_names_each_broken_invariant(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    with Tracker.open(settings=settings_for(url)) as tracker:
        days_ago = datetime.now(UTC) - timedelta(days=3)  # whole days: counted in rollups
        ids = [tracker.track(bot_signal(tp1=51000.0 + n), created_at=days_ago) for n in range(4)]
        tracker.close(ids[1], result="win", pnl_pct=2.0, actor="t")
        tracker.winrate(30)  # the rollups built
    assert check_store(url) == []
    engine = create_engine(url)
    with engine.begin() as conn:
        pk = "(SELECT id FROM signals WHERE signal_id = :i)"
        conn.execute(text(f"DELETE FROM signal_events WHERE kind = 'created' AND signal_pk = {pk}"),
                     {"i": ids[0]})  # fmt: skip
        conn.execute(text(f"INSERT INTO signal_events (signal_pk, kind, at, actor, data) "
                          f"SELECT {pk}, 'closed', at, actor, data FROM signal_events "
                          "WHERE kind = 'closed'"), {"i": ids[1]})  # fmt: skip
        conn.execute(text("UPDATE signals SET status = 'CLOSED' WHERE signal_id = :i"),
                     {"i": ids[2]})  # fmt: skip
        assert conn.execute(text("UPDATE rollups SET wins = wins + 1")).rowcount > 0
    engine.dispose()
    problems = "\n".join(check_store(url))
    assert f"a signal without exactly one CREATED event: 1 ({ids[0]})" in problems
    assert "a CLOSED signal without exactly one close event: 2" in problems
    assert f"a CLOSED signal without result or closed_at: 1 ({ids[2]})" in problems
    assert "rollups differ from a recount" in problems
