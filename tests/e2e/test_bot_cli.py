"""`sigtrack bot`, the stand-alone bot, as a real process against the loopback fake Bot API:
commands answered from the store, the monitor's closes announced once across a restart,
SIGTERM, and the token never in what it prints."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from factories import settings_for
from process_support import (
    ADMIN,
    ADMIN_TWO,
    CHAT,
    TOPIC,
    ask,
    bot_process,
    command,
    environment,
    recent_signals,
    stop,
)
from sigtrack import Tracker
from telegram_fake import FakeBotApi


def test_the_bot_answers_announces_once_across_a_restart_and_stops_on_sigterm(
    fake_bot_api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "candles"
    btc, eth = recent_signals(db_url, folder)
    env = environment(fake_bot_api, db_url)

    with bot_process(env, "--candles", str(folder), cwd=tmp_path) as process:
        posts = fake_bot_api.wait_sent(CHAT, 3, timeout=60)
        with Tracker.open(settings=settings_for(db_url)) as reader:  # the jobs' first tick
            fake_bot_api.wait_for(lambda: any(  # catches the last 23:00 up: a backup
                r.job == "backup" and r.state.value == "done"
                for r in reader.app.store.latest_runs()), timeout=60)  # fmt: skip
        jobs = ask(fake_bot_api, ADMIN, "/signal_stats")
        winrate = ask(fake_bot_api, ADMIN, "/winrate")
        status = ask(fake_bot_api, ADMIN_TWO, "/signal_stats")
        refused = ask(fake_bot_api, 3003, "/open")
        out, err = stop(process)

    assert {p["message_thread_id"] for p in posts} == {TOPIC}
    assert sorted(p["text"].split("\n")[0] for p in posts) == [
        "<b>✅ BTCUSDT LONG 15m — WIN (TP1_BE)</b>",
        "<b>❌ ETHUSDT SHORT 15m — LOSS (SL)</b>",
        "<b>🎯 BTCUSDT LONG 15m — TP1 tercapai di 51000</b>",
    ]
    assert "• Total Signal: 2" in winrate and "• Win: 1 ✅" in winrate
    assert "• Winrate: 50.0% 🎯" in winrate
    assert "2 dicek, 2 selesai (1 win, 1 loss" in status
    assert refused == "⛔ Perintah ini hanya untuk admin."
    assert re.search(r"• Backup: .* — selesai \(\d+\.\d s\): signal_logs/backups/sigtrack-", jobs)
    assert "bot: stopped" in out and "jobs on" in out
    assert fake_bot_api.token not in out + err
    assert any(c.method == "setMyCommands" for c in fake_bot_api.calls)
    assert btc != eth

    with bot_process(env, "--candles", str(folder), cwd=tmp_path) as process:
        again = ask(fake_bot_api, ADMIN, "/signal_stats")  # the restart is up and has passed
        fake_bot_api.wait_for(lambda: "Settling terakhir" in again, timeout=1)
        out2, err2 = stop(process)

    assert len(fake_bot_api.sent(CHAT)) == 3  # nothing posted twice
    assert fake_bot_api.token not in out2 + err2


def test_the_bot_with_no_monitor_answers_and_announces_nothing(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    recent_signals(sqlite_url, tmp_path / "candles")
    env = environment(fake_bot_api, sqlite_url)

    with bot_process(env, "--no-monitor", cwd=tmp_path) as process:
        opened = ask(fake_bot_api, ADMIN, "/open")
        ask(fake_bot_api, ADMIN, "/admin")
        panel = fake_bot_api.sent(ADMIN)[-1]["message_id"]
        fake_bot_api.press(ADMIN, panel, "menu:v1", forged=True)  # an older bot's button
        answers = fake_bot_api.wait_for(fake_bot_api.answers, timeout=30)
        out, _ = stop(process)

    assert opened.startswith("<b>⏳ SIGNAL AKTIF (2)</b>")
    assert [a["text"] for a in answers] == ["Tombol ini tidak dikenal atau sudah tidak berlaku."]
    assert fake_bot_api.sent(CHAT) == []
    assert "monitor off, announcements off" in out


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("", "error: TELEGRAM_BOT_TOKEN: must be set to the token @BotFather gave (not set)"),
        ("12345:short-secret", "error: TELEGRAM_BOT_TOKEN: does not look like a bot token"),
    ],
)
def test_a_missing_or_malformed_token_is_refused_without_showing_it(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path, token: str, expected: str
) -> None:
    env = environment(fake_bot_api, sqlite_url, TELEGRAM_BOT_TOKEN=token)

    done = subprocess.run([*command(), "bot"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60, check=False)  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.startswith(expected)
    assert "short-secret" not in done.stdout + done.stderr


def test_a_token_telegram_refuses_is_one_line_that_does_not_show_it(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    wrong = "123456789:" + "A" * 35
    env = environment(fake_bot_api, sqlite_url, TELEGRAM_BOT_TOKEN=wrong)

    done = subprocess.run([*command(), "-v", "bot", "--no-monitor"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "error: Telegram refused the bot token (TELEGRAM_BOT_TOKEN)"
    )
    assert wrong not in done.stdout + done.stderr and "A" * 35 not in done.stderr


def test_candles_that_are_not_there_are_refused_naming_the_option(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    env = environment(fake_bot_api, sqlite_url)

    done = subprocess.run([*command(), "bot", "--candles", str(tmp_path / "nope")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
                          check=False)  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("error: --candles: no such file or folder")
