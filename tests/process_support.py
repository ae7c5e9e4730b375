"""Running sigtrack commands as real processes against the loopback fake Bot API: the
command line, the environment they get, signals with candles that settle them, a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import bot_signal, settings_for
from sigtrack import Tracker
from telegram_fake import FakeBotApi

CHAT, TOPIC, ADMIN, ADMIN_TWO = -100777, 42, 1001, 1002


def command() -> list[str]:
    script = Path(sys.executable).with_name("sigtrack")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sigtrack.cli"]


def environment(fake: FakeBotApi, db_url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIGTRACK_", "ADMIN", "TELEGRAM_"))}  # fmt: skip
    return (
        env
        | {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "SIGTRACK_TELEGRAM_BASE_URL": fake.url,
            "SIGTRACK_DATABASE_URL": db_url,
            "ADMIN_IDS": str(ADMIN),
            "ADMIN2": str(ADMIN_TWO),  # the old bot's variables work too
            "SIGTRACK_ANNOUNCE_CHAT": str(CHAT),
            "SIGTRACK_ANNOUNCE_THREAD": str(TOPIC),
            "SIGTRACK_MONITOR_EVERY_S": "3600",  # one pass at start, then an hour's wait
        }
        | more
    )


@contextmanager
def bot_process(env: dict[str, str], *args: str, cwd: Path) -> Iterator[subprocess.Popen[str]]:
    with sigtrack_process(env, "-v", "bot", *args, cwd=cwd) as process:
        yield process


@contextmanager
def sigtrack_process(env: dict[str, str], *args: str, cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """`sigtrack ARGS…` running until the block ends (killed if it is still running)."""
    process = subprocess.Popen(
        [*command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=cwd,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out, err


def recent_signals(db_url: str, folder: Path) -> tuple[str, str]:
    """BTC (LONG) and ETH (SHORT) created ten minutes ago, and candles in which BTC reaches
    TP1 then its entry (WIN) and ETH its stop (LOSS)."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    base = int(start.timestamp() * 1000)
    rows = {"BTCUSDT": [(0, 50000, 50200, 49800, 50100), (1, 50100, 51200, 50050, 51000),
                        (2, 51000, 51100, 49950, 50000)],
            "ETHUSDT": [(0, 3000, 3010, 2990, 3005), (1, 3005, 3065, 3000, 3050)]}  # fmt: skip
    folder.mkdir()
    for symbol, candles in rows.items():
        lines = [f"{base + n * 60_000},{o},{h},{lo},{c}" for n, o, h, lo, c in candles]
        (folder / f"{symbol}.csv").write_text(
            "timestamp,open,high,low,close\n" + "\n".join(lines) + "\n", encoding="utf-8"
        )
    with Tracker.open(settings=settings_for(db_url)) as tracker:
        btc = tracker.track(bot_signal(), receivers=[ADMIN], now=start + timedelta(seconds=1),
                            created_at=start)  # fmt: skip
        eth = tracker.track(
            bot_signal(symbol="ETHUSDT", side="SHORT", entry_price=3000.0, tp1=2940.0,
                       tp2=2880.0, sl=3060.0),
            receivers=[ADMIN], now=start + timedelta(seconds=1), created_at=start,
        )  # fmt: skip
    return btc, eth


def ask(fake: FakeBotApi, user: int, text: str) -> str:
    before = len(fake.sent(user))
    fake.send_text(user, text)
    return fake.wait_sent(user, before + 1, timeout=30)[-1]["text"]
