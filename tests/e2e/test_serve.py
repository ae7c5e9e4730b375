"""`sigtrack serve` as a real process: the API, the monitor, the jobs and the bot in one,
the same numbers in the bot, the API and the CLI, a clean stop on SIGTERM, and two servers
on one PostgreSQL store doubling no job."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from api_server import READ_TOKEN, WRITE_TOKEN, free_port
from factories import settings_for
from process_support import (
    ADMIN,
    CHAT,
    ask,
    command,
    environment,
    recent_signals,
    sigtrack_process,
    stop,
)
from sigtrack import Tracker
from telegram_fake import FakeBotApi

T = TypeVar("T")


def serve_env(fake: FakeBotApi, db_url: str, **more: str) -> dict[str, str]:
    return environment(fake, db_url, SIGTRACK_API_TOKEN=WRITE_TOKEN, **more)


def wait_ready(process: subprocess.Popen[str], base: str, timeout: float = 60) -> None:
    """Until the server answers /healthz (polled: nothing notifies the test of it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} did not answer within {timeout} s")


def poll(predicate: Callable[[], T], timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"not met within {timeout} s"
        time.sleep(0.1)
    return result


def cli_json(db_url: str, *args: str, cwd: Path) -> object:
    done = subprocess.run([*command(), "--db", db_url, *args, "--json"], capture_output=True,
                          text=True, cwd=cwd, timeout=60, check=True)  # fmt: skip
    return json.loads(done.stdout)


def test_serve_runs_the_api_the_monitor_the_jobs_and_the_bot_with_one_set_of_numbers(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "candles"
    recent_signals(sqlite_url, folder)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = serve_env(fake_bot_api, sqlite_url)

    with sigtrack_process(env, "serve", "--port", str(port), "--candles", str(folder),
                          cwd=tmp_path) as process:  # fmt: skip
        wait_ready(process, base)
        posts = fake_bot_api.wait_sent(CHAT, 3, timeout=60)  # the monitor settled both
        with Tracker.open(settings=settings_for(sqlite_url)) as reader:  # the jobs ticked
            fake_bot_api.wait_for(lambda: any(
                r.job == "backup" and r.state.value == "done"
                for r in reader.app.store.latest_runs()), timeout=60)  # fmt: skip
        bot_says = ask(fake_bot_api, ADMIN, "/winrate")
        api_says = httpx.get(f"{base}/stats/winrate", params={"days": 7}).json()
        health = httpx.get(f"{base}/healthz").json()
        page = httpx.get(f"{base}/")
        out, err = stop(process)
    cli_says = cli_json(sqlite_url, "winrate", "--days", "7", cwd=tmp_path)

    assert len(posts) == 3
    assert isinstance(cli_says, dict)
    numbers = ("total", "wins", "losses", "open", "winrate_pct", "winrate_interval_pct")
    assert {k: api_says[k] for k in numbers} == {k: cli_says[k] for k in numbers}
    assert (api_says["total"], api_says["wins"], api_says["winrate_pct"]) == (2, 1, 50.0)
    assert f"• Total Signal: {api_says['total']}" in bot_says
    assert f"• Winrate: {api_says['winrate_pct']:.1f}% 🎯" in bot_says
    low, high = api_says["winrate_interval_pct"]
    assert f"• Interval 95%: {low:.1f}% – {high:.1f}%" in bot_says
    assert health["ok"] and health["last_pass"]["closed"] == 2
    assert health["last_verified_backup"]["state"] == "done"
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert f"serve: dashboard http://127.0.0.1:{port}/" in out
    assert "bot on" in out and "serve: stopped" in out
    assert fake_bot_api.token not in out + err and WRITE_TOKEN not in out + err


def test_serve_without_a_bot_token_runs_the_api_and_stops_cleanly(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = serve_env(fake_bot_api, sqlite_url, TELEGRAM_BOT_TOKEN="")

    with sigtrack_process(env, "serve", "--port", str(port), "--no-monitor", "--no-jobs",
                          cwd=tmp_path) as process:  # fmt: skip
        wait_ready(process, base)
        made = httpx.post(f"{base}/signals", headers={"Authorization": f"Bearer {WRITE_TOKEN}"},
                          json={"symbol": "SOLUSDT", "side": "LONG", "timeframe": "1h",
                                "entry": 150, "tp1": 155, "sl": 145})  # fmt: skip
        out, err = stop(process)

    assert made.status_code == 201, made.text
    (signal_id,) = made.json()["signal_ids"]
    shown = cli_json(sqlite_url, "show", signal_id, cwd=tmp_path)
    assert isinstance(shown, dict) and shown["symbol"] == "SOLUSDT"
    assert shown["source"] == "api"
    assert "bot off; monitor off, jobs off" in out and "serve: stopped" in out
    assert fake_bot_api.calls == []  # no token: Telegram is never asked
    assert WRITE_TOKEN not in out + err


@pytest.mark.postgres
def test_two_servers_on_one_postgresql_store_run_each_job_slot_once(
    fake_bot_api: FakeBotApi, pg_url: str, tmp_path: Path
) -> None:
    ports = free_port(), free_port()
    env = serve_env(fake_bot_api, pg_url, TELEGRAM_BOT_TOKEN="")
    with sigtrack_process(env, "serve", "--port", str(ports[0]), "--no-monitor",
                          cwd=tmp_path) as one, \
         sigtrack_process(env, "serve", "--port", str(ports[1]), "--no-monitor",
                          cwd=tmp_path) as two:  # fmt: skip
        for process, port in ((one, ports[0]), (two, ports[1])):
            wait_ready(process, f"http://127.0.0.1:{port}")
        with Tracker.open(settings=settings_for(pg_url)) as reader:
            store = reader.app.store
            runs = poll(lambda: [r for r in store.job_runs("backup", limit=10)
                                 if r.state.value == "done"])  # fmt: skip
            jobs = httpx.get(f"http://127.0.0.1:{ports[1]}/jobs").json()
        stop(one)
        stop(two)

    assert len(runs) == 1  # the slot due at start-up (the last 23:00), run by one of them
    backups = sorted(p.name for p in (tmp_path / "signal_logs" / "backups").iterdir())
    assert len(backups) == 1, backups
    backup = next(j for j in jobs if j["job"] == "backup")
    assert [r["state"] for r in backup["runs"]] == ["done"]


def test_the_demo_ends_serving_its_dashboard_with_the_example_history_in_view(
    fake_bot_api: FakeBotApi, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in environment(fake_bot_api, "").items()
           if k not in ("SIGTRACK_DATABASE_URL", "TELEGRAM_BOT_TOKEN")}  # fmt: skip
    with sigtrack_process(env, "demo", "--dir", str(tmp_path / "demo"), "--port", str(port),
                          cwd=tmp_path) as process:  # fmt: skip
        wait_ready(process, f"http://127.0.0.1:{port}", timeout=120)
        page = httpx.get(f"http://127.0.0.1:{port}/")
        window = "since=2026-09-07&until=2026-11-16"
        shown = httpx.get(f"http://127.0.0.1:{port}/stats/overview?{window}").json()
        out, _ = stop(process)

    assert f"serve: dashboard http://127.0.0.1:{port}/?{window}" in out
    assert "LAPORAN MINGGUAN SIGNAL" in out and "serve: stopped" in out
    assert page.status_code == 200
    assert shown["performance"]["total"] > 100 and shown["by_symbol"]["rows"]
    assert "writes off (set SIGTRACK_API_TOKEN)" in out


def test_a_bad_port_or_one_in_use_is_refused_clearly(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    env = serve_env(fake_bot_api, sqlite_url, TELEGRAM_BOT_TOKEN="")
    bad = subprocess.run([*command(), "serve", "--port", "http"], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        busy = subprocess.run([*command(), "serve", "--port", str(port)],
                              capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=60, check=False)  # fmt: skip

    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "error: --port: must be a whole number (got 'http')"
    )
    assert busy.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in busy.stderr


def test_tokens_never_reach_the_log_even_in_a_logged_address(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = serve_env(fake_bot_api, sqlite_url, SIGTRACK_API_READ_TOKEN=READ_TOKEN,
                    SIGTRACK_API_READS="token")  # fmt: skip
    with sigtrack_process(env, "serve", "--port", str(port), "--access-log", "--no-monitor",
                          "--no-jobs", cwd=tmp_path) as process:  # fmt: skip
        wait_ready(process, base)
        page = httpx.get(f"{base}/?token={READ_TOKEN}")
        wrong = httpx.get(f"{base}/stats/winrate", headers={"Authorization": "Bearer nope"})
        read = httpx.get(f"{base}/stats/winrate",
                         headers={"Authorization": f"Bearer {READ_TOKEN}"})  # fmt: skip
        write = httpx.post(f"{base}/signals", json={"symbol": "BTCUSDT"},
                           headers={"Authorization": f"Bearer {READ_TOKEN}"})  # fmt: skip
        out, err = stop(process)

    assert (page.status_code, wrong.status_code, read.status_code) == (200, 401, 200)
    assert write.status_code == 403
    assert '"GET /?token=<secret> HTTP/1.1" 200' in err  # the request is logged, masked
    for secret in (READ_TOKEN, WRITE_TOKEN, fake_bot_api.token):
        assert secret not in out + err
        assert secret not in wrong.text + write.text
