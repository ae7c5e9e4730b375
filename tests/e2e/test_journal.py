"""The journal as real processes on a real PostgreSQL behind a proxy the test stops: no
signal lost or doubled while the store is down, a replay killed midway applies nothing
twice, a torn last line is set aside, and the backlog shows where operators look."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from api_server import WRITE_TOKEN as WRITE
from api_server import running_api
from factories import settings_for
from pg_proxy import pg_proxy
from process_support import command
from sigtrack import Tracker
from sigtrack.bootstrap import build_app

pytestmark = pytest.mark.postgres

CHILD = """
import json, sys, time
from sigtrack import compat
def track(n, start):
    ids = []
    for i in range(n):
        ids.append(compat.track_signal_given(7, "BTCUSDT", "15m", 100.0 + i % 7, 110.0, 0, 90.0))
    return ids
first = track(int(sys.argv[1]), 0)
print(json.dumps({"phase": 1, "ids": first}), flush=True)
sys.stdin.readline()
began = time.perf_counter()
second = track(int(sys.argv[2]), 1)
took = time.perf_counter() - began
compat.update_signal_outcome(second[0], True, 2.5)
compat.track_user_command(7, "budi", "/winrate")
print(json.dumps({"phase": 2, "ids": second, "seconds": took}), flush=True)
"""


def env_for(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGTRACK_")}
    return env | {"SIGTRACK_DATABASE_URL": url}


def stored_ids(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT signal_id FROM signals"))]
    finally:
        engine.dispose()


def run(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *args], capture_output=True, text=True, cwd=cwd,
                          env=env_for(url), timeout=120, check=False)  # fmt: skip


def test_postgresql_stopped_while_signals_are_tracked_loses_and_doubles_none(
    pg_url: str, tmp_path: Path
) -> None:
    with pg_proxy(pg_url) as proxy:
        child = subprocess.Popen([sys.executable, "-c", CHILD, "300", "700"], cwd=tmp_path,
                                 env=env_for(proxy.url), stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)  # fmt: skip
        assert child.stdout is not None and child.stdin is not None
        first = json.loads(child.stdout.readline())
        proxy.stop()  # PostgreSQL "stops": refused connections, open ones cut
        child.stdin.write("go\n")
        child.stdin.flush()
        second = json.loads(child.stdout.readline())
        _, errors = child.communicate(timeout=60)
        assert child.returncode == 0, errors

        waiting = run("journal", "status", "--json", url=proxy.url, cwd=tmp_path)
        down = run("journal", "replay", url=proxy.url, cwd=tmp_path)
        proxy.start()  # back
        replayed = run("journal", "replay", "--json", url=proxy.url, cwd=tmp_path)
        again = run("journal", "replay", "--json", url=proxy.url, cwd=tmp_path)

    acknowledged = first["ids"] + second["ids"]
    assert len(acknowledged) == 1000 and None not in acknowledged
    assert json.loads(waiting.stdout)["backlog"] == 700 + 2  # the close and the command too
    assert down.returncode == 1 and "masih tidak terjangkau" in down.stdout  # still down
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["applied"] == 702
    assert json.loads(again.stdout)["applied"] == 0
    stored = stored_ids(pg_url)
    assert sorted(stored) == sorted(acknowledged)  # every acknowledged id, each once
    with Tracker.open(settings=settings_for(pg_url)) as tracker:
        closed = tracker.get(second["ids"][0])
        commands = tracker.app.store.store_counts(since=closed.signal.created_at).commands
    assert (closed.result, closed.pnl_pct) == ("WIN", 2.5)
    assert commands == 1
    assert "writes go to the journal" in errors
    assert (tmp_path / "signal_logs" / "journal").glob("applied-*.jsonl")


def test_a_replay_killed_midway_applies_nothing_twice_when_run_again(
    pg_url: str, tmp_path: Path
) -> None:
    with pg_proxy(pg_url) as proxy:
        with Tracker.open(settings=settings_for(proxy.url, data_dir=tmp_path)) as tracker:
            proxy.stop()
            ids = [tracker.track({"symbol": "ETHUSDT", "side": "SHORT", "timeframe": "1h",
                                  "entry": 3000.0, "tp1": 2900.0 - i % 50, "sl": 3100.0})
                   for i in range(2000)]  # fmt: skip
        proxy.start()
        replay = subprocess.Popen([*command(), "journal", "replay"], cwd=tmp_path,
                                  env=env_for(proxy.url) | {"SIGTRACK_DATA_DIR": str(tmp_path)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 60
        while len(stored_ids(pg_url)) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        replay.send_signal(signal.SIGKILL)  # mid-replay: some applied, the rest not
        replay.wait()
        partial = len(stored_ids(pg_url))
        done = subprocess.run([*command(), "journal", "replay", "--json"], cwd=tmp_path,
                              env=env_for(proxy.url) | {"SIGTRACK_DATA_DIR": str(tmp_path)},
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    assert 0 < partial < 2000, partial
    report = json.loads(done.stdout)
    assert report["applied"] + report["already_applied"] == 2000
    assert report["applied"] == 2000 - partial
    assert sorted(stored_ids(pg_url)) == sorted(ids)


def test_a_torn_last_line_is_set_aside_and_reported_and_the_rest_applied(
    pg_url: str, tmp_path: Path
) -> None:
    with pg_proxy(pg_url) as proxy:
        settings = settings_for(proxy.url, data_dir=tmp_path)
        with Tracker.open(settings=settings) as tracker:
            proxy.stop()
            kept = [tracker.track({"symbol": "SOLUSDT", "side": "LONG", "timeframe": "5m",
                                   "entry": 150.0, "tp1": 151.0 + i, "sl": 149.0})
                    for i in range(3)]  # fmt: skip
        journal = tmp_path / "journal" / "journal.jsonl"
        whole = journal.read_text()
        journal.write_text(whole + whole.splitlines()[0][:57])  # power lost mid-write
        with Tracker.open(settings=settings) as tracker:  # still down: a write after it
            later = tracker.track({"symbol": "SOLUSDT", "side": "LONG", "timeframe": "5m",
                                   "entry": 150.0, "tp1": 160.0, "sl": 149.0})  # fmt: skip
            status = tracker.app.journal.status()
            proxy.start()
            report = tracker.app.journal.replay_all()

    assert (status.backlog, status.bad_lines) == (4, 1)
    assert report.applied == 4 and len(report.set_aside) == 1
    assert report.set_aside[0].torn and report.set_aside[0].number == 4
    assert sorted(stored_ids(pg_url)) == sorted([*kept, later])
    (aside,) = (tmp_path / "journal").glob("set-aside-*.jsonl")
    assert aside.read_text().startswith(whole.splitlines()[0][:57])


def test_the_backlog_shows_in_healthz_while_the_store_is_down(pg_url: str, tmp_path: Path) -> None:
    with pg_proxy(pg_url) as proxy:
        app = build_app(settings_for(proxy.url, data_dir=tmp_path))
        try:
            with running_api(app) as base:
                proxy.stop()
                signal = {"symbol": "BTCUSDT", "side": "LONG", "timeframe": "15m",
                          "entry": 100, "tp1": 101, "sl": 99}  # fmt: skip
                made = httpx.post(f"{base}/signals", json=signal,
                                  headers={"Authorization": "Bearer " + WRITE})  # fmt: skip
                health = httpx.get(f"{base}/healthz")
                proxy.start()
                app.journal.replay_all()
                after = httpx.get(f"{base}/healthz").json()
        finally:
            app.store.dispose()

    assert made.status_code == 201, made.text
    assert health.status_code == 503
    assert health.json()["journal"]["backlog"] == 1
    assert after["ok"] and after["journal"]["backlog"] == 0
    assert made.json()["signal_ids"][0] in stored_ids(pg_url)
