"""Several `sigtrack monitor` processes over one PostgreSQL store share the open signals: each
symbol is settled by one of them per pass, every signal is closed once, no event twice."""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from factories import SIGNAL_TIME, make_signal, settings_for
from process_support import command
from sigtrack import Tracker
from sigtrack.services.ports import NewSignal

pytestmark = pytest.mark.postgres

SYMBOLS = [f"C{k:02d}USDT" for k in range(20)]
PER_SYMBOL = 10
# TP1 (51000) in minute 1, then the stop moved to entry in minute 2: every signal closes, WIN
CANDLES = [(0, 50000, 50200, 49800, 50100), (1, 50100, 51200, 50050, 51000),
           (2, 51000, 51100, 49900, 49950)]  # fmt: skip
PASS_LINE = re.compile(
    r"pass of (?P<owner>\S+): (?P<here>\d+) of (?P<all>\d+) symbols settled here, "
    r"(?P<elsewhere>\d+) by other monitors: (?P<symbols>\S*)$"
)


def open_signals_and_candles(url: str, folder: Path) -> None:
    folder.mkdir()
    base = int(SIGNAL_TIME.timestamp() * 1000)
    lines = [f"{base + n * 60_000},{o},{h},{lo},{c}" for n, o, h, lo, c in CANDLES]
    for symbol in SYMBOLS:
        (folder / f"{symbol}.csv").write_text(
            "timestamp,open,high,low,close\n" + "\n".join(lines) + "\n", encoding="utf-8"
        )
    signals = [
        NewSignal(signal=make_signal(symbol=symbol, entry=50000.0 + j))
        for symbol in SYMBOLS
        for j in range(PER_SYMBOL)
    ]
    with Tracker.open(settings=settings_for(url)) as tracker:
        tracker._app.store.add_signals(signals, now=SIGNAL_TIME + timedelta(minutes=5))


def wait_until(condition: object, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("monitors", [2, 4])
def test_monitors_started_at_once_settle_every_signal_once_and_split_the_symbols(
    monitors: int, pg_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "candles"
    open_signals_and_candles(pg_url, folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGTRACK_")}
    env["SIGTRACK_DATABASE_URL"] = pg_url
    args = ["-v", "monitor", "--passes", "3", "--every", "1", "--candles", str(folder)]
    engine = create_engine(pg_url)
    try:
        # The start line: the claims table locked until every monitor waits on it (or on the
        # one inserting its rows), so that their first passes begin together (each has read
        # the open signals by then).
        with engine.connect() as gate:
            gate.execute(text("LOCK TABLE settle_claims IN SHARE MODE"))
            processes = [
                subprocess.Popen([*command(), *args], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
                for _ in range(monitors)
            ]  # fmt: skip
            try:
                with engine.connect() as conn:

                    def all_waiting() -> bool:
                        for process in processes:
                            assert process.poll() is None, process.communicate()
                        waiting = conn.execute(text(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                            "(relation = 'settle_claims'::regclass OR locktype = 'advisory' "
                            "AND database = (SELECT oid FROM pg_database "
                            "WHERE datname = current_database()))"
                        )).scalar()  # fmt: skip
                        conn.rollback()
                        return waiting == monitors

                    wait_until(all_waiting, f"{monitors} monitors at the start line")
                gate.rollback()  # go
                outputs = [process.communicate(timeout=120) for process in processes]
            finally:
                for process in processes:
                    if process.poll() is None:
                        process.kill()
                        process.wait()
        for process, (_, err) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, err

        with engine.connect() as conn:
            statuses = dict(conn.execute(text(
                "SELECT status, count(*) FROM signals GROUP BY status")).all())  # fmt: skip
            per_signal = conn.execute(text(
                "SELECT signal_pk, kind, data::text, count(*) FROM signal_events "
                "GROUP BY signal_pk, kind, data::text"
            )).all()  # fmt: skip
            recorded = conn.execute(text(
                "SELECT count(*), sum(symbols), sum(closed), sum(tp_hits) FROM settling_passes"
            )).one()  # fmt: skip
    finally:
        engine.dispose()

    total = len(SYMBOLS) * PER_SYMBOL
    assert statuses == {"CLOSED": total}
    assert max(n for *_, n in per_signal) == 1  # no event written twice
    kinds = [kind for _, kind, _, _ in per_signal]
    assert (kinds.count("closed"), kinds.count("tp_hit"), kinds.count("created")) == (
        total, total, total,
    )  # fmt: skip
    assert tuple(recorded) == (3 * monitors, len(SYMBOLS), total, total)

    passes = {}  # owner → [(symbols settled, symbols with open signals, by others)]
    for _, err in outputs:
        for line in err.splitlines():
            found = PASS_LINE.search(line)
            if found:
                settled = found["symbols"].split(",") if found["symbols"] else []
                assert len(settled) == int(found["here"])
                assert int(found["here"]) + int(found["elsewhere"]) == int(found["all"])
                passes.setdefault(found["owner"], []).append((settled, int(found["all"])))
    assert len(passes) == monitors and all(len(p) == 3 for p in passes.values())
    first = [p[0] for p in passes.values()]
    # the first passes, begun together, split the symbols: each in exactly one of them
    assert all(seen == len(SYMBOLS) for _, seen in first)
    assert sorted(s for settled, _ in first for s in settled) == SYMBOLS
    # and no symbol was settled again by anyone later: every signal was closed by then
    assert all(not settled for p in passes.values() for settled, _ in p[1:])
    shares = sorted((len(settled) for settled, _ in first), reverse=True)
    print(f"{monitors} monitors, symbols settled in the first pass: {shares}")
    assert sum(1 for n in shares if n) >= 2  # the work was shared, not one monitor's
