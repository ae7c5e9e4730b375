"""`sigtrack jobs run-due` and `jobs status` as real processes, against a real store and the
loopback fake Bot API: one weekly report per admin however many processes ask, a missed
slot told once, the clock moved with --as-of (nothing sleeps until 09:00)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import bot_signal, settings_for
from sigtrack import Tracker
from telegram_fake import FakeBotApi

ADMINS = (1001, 1002)
MONDAY = "2026-11-30T09:05:00+07:00"  # five minutes after the weekly report's slot
TITLE = "<b>📋 LAPORAN MINGGUAN SIGNAL — 2026-W48</b>"


def command() -> list[str]:
    script = Path(sys.executable).with_name("sigtrack")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sigtrack.cli"]


def environment(fake: FakeBotApi, db_url: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIGTRACK_", "ADMIN", "TELEGRAM_"))}  # fmt: skip
    return env | {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "SIGTRACK_TELEGRAM_BASE_URL": fake.url,
        "SIGTRACK_DATABASE_URL": db_url,
        "SIGTRACK_DATA_DIR": str(data),
        "ADMIN_IDS": ",".join(map(str, ADMINS)),
    }


def run_due(env: dict[str, str], as_of: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*command(), "jobs", "run-due", "--as-of", as_of],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=cwd)  # fmt: skip


def seed_week(db_url: str) -> None:
    """A week of signals in 2026-W48 (Jakarta), two of them closed."""
    start = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    with Tracker.open(settings=settings_for(db_url)) as tracker:
        for day in range(3):
            signal_id = tracker.track(bot_signal(), created_at=start + timedelta(days=day),
                                      now=start + timedelta(days=day, seconds=1))  # fmt: skip
            if day < 2:
                tracker.close(signal_id, result="win" if day else "loss", pnl_pct=1.0 - day,
                              actor="t", now=start + timedelta(days=day, hours=1))  # fmt: skip


def reports_to(fake: FakeBotApi, admin: int) -> list[str]:
    return [m["text"] for m in fake.sent(admin) if m["text"].startswith(TITLE)]


def test_two_processes_at_monday_nine_send_one_report_to_each_admin(
    fake_bot_api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    seed_week(db_url)
    env = environment(fake_bot_api, db_url, tmp_path / "data")

    processes = [run_due(env, MONDAY, tmp_path) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], results
    for admin in ADMINS:
        [report] = reports_to(fake_bot_api, admin)
        assert "Total: 2 selesai (1 win, 1 loss" in report
    printed = "".join(out for out, _ in results)
    assert printed.count("Laporan mingguan 2026-11-30 09:00 (Asia/Jakarta): done") == 1
    assert (tmp_path / "data" / "reports" / "weekly_report_2026-W48.html").is_file()
    assert all(fake_bot_api.token not in out + err for out, err in results)

    again = run_due(env, "2026-11-30T10:00:00+07:00", tmp_path)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and "nothing due" in out
    assert [len(reports_to(fake_bot_api, a)) for a in ADMINS] == [1, 1]


def test_a_slot_found_past_its_grace_is_missed_and_told_once(
    fake_bot_api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    env = environment(fake_bot_api, sqlite_url, tmp_path / "data")
    first = run_due(env, "2026-11-29T12:00:00+07:00", tmp_path)  # Sunday: nothing due yet
    first.communicate(timeout=120)

    for _ in range(2):  # back on Tuesday: Monday's report was missed
        late = run_due(env, "2026-12-01T10:00:00+07:00", tmp_path)
        _, err = late.communicate(timeout=120)
        assert late.returncode == 0, err

    for admin in ADMINS:
        notices = [m["text"] for m in fake_bot_api.sent(admin)
                   if "terlewat" in m["text"] and "Laporan" in m["text"]]  # fmt: skip
        assert notices == ["⚠️ Laporan mingguan jadwal 2026-11-30 09:00 (Asia/Jakarta) "
                           "terlewat: sigtrack tidak berjalan sampai 2026-12-01 00:00 "
                           "(Asia/Jakarta)."]  # fmt: skip
        assert reports_to(fake_bot_api, admin) == []

    status = subprocess.run([*command(), "jobs", "status", "--json", "--as-of",
                             "2026-12-01T10:00:00+07:00"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=120, check=True)  # fmt: skip
    [weekly] = [job for job in json.loads(status.stdout) if job["job"] == "weekly_report"]
    assert weekly["schedule"] == "mon 09:00" and weekly["zone"] == "Asia/Jakarta"
    assert weekly["next_slot"] == "2026-12-07T09:00:00+07:00"
    assert [(r["slot"], r["state"], r["told"]) for r in weekly["missed"]] == [
        ("2026-11-30T09:00:00+07:00", "missed", True)
    ]


def test_without_a_bot_token_the_report_is_kept_and_the_run_fails_saying_why(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIGTRACK_", "ADMIN", "TELEGRAM_"))}  # fmt: skip
    env |= {"SIGTRACK_DATABASE_URL": sqlite_url, "SIGTRACK_DATA_DIR": str(tmp_path / "data")}

    done = subprocess.run([*command(), "jobs", "run-due", "--as-of", MONDAY],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
                          check=False)  # fmt: skip

    assert done.returncode == 1
    assert "no bot token (TELEGRAM_BOT_TOKEN)" in done.stdout
    assert (tmp_path / "data" / "reports" / "weekly_report_2026-W48.html").is_file()
