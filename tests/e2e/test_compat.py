"""The old bot's code, unchanged but for one import, against `sigtrack.compat`."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factories import bot_signal, settings_for
from sigtrack import compat
from sigtrack.tracker import Tracker

# The broadcast snippet of origin/auto_signal_tracking.md, verbatim but for its import line.
BROADCAST_SNIPPET = """\
# Track signal to database for AI iteration
signal_id = None
try:
    from sigtrack.compat import track_signal_given
    # Track signal for first user (representative)
    if receivers:
        signal_id = track_signal_given(
            user_id=receivers[0],  # Use first user as representative
            symbol=sig.get("symbol", ""),
            timeframe=sig.get("timeframe", TIMEFRAME),
            entry_price=sig.get("entry_price", 0),
            tp1=sig.get("tp1", 0),
            tp2=sig.get("tp2", 0),
            sl=sig.get("sl", 0),
            signal_type=sig.get("side", "LONG")
        )
        print(f"[AutoSignal] Tracked signal: {signal_id}")
except Exception as e:
    print(f"[AutoSignal] Failed to track signal: {e}")
"""
OLD_IMPORT = "from app.signal_tracker_integration import track_signal_given"
NEW_IMPORT = "from sigtrack.compat import track_signal_given"
OLD_WINRATE_KEYS = {"total_signals", "wins", "losses", "winrate", "avg_pnl"}
UNREACHABLE = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none"


def broadcast(sig: dict[str, object], receivers: list[int], TIMEFRAME: str = "15m") -> Any:
    """Run the old `_broadcast` lines where the old bot ran them: with sig, receivers, TIMEFRAME."""
    namespace: dict[str, object] = {"sig": sig, "receivers": receivers, "TIMEFRAME": TIMEFRAME}
    exec(BROADCAST_SNIPPET, namespace)
    return namespace["signal_id"]


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SIGTRACK_DATABASE_URL names a SQLite file that does not exist yet."""
    url = f"sqlite:///{tmp_path / 'compat.db'}"
    monkeypatch.setenv("SIGTRACK_DATABASE_URL", url)
    compat.reset()
    yield url
    compat.reset()


@pytest.fixture
def store(store_url: str) -> Iterator[Tracker]:
    """The same store, opened on the side to look at what compat wrote."""
    compat.get_current_winrate()  # creates it, as the old bot's first call would
    with Tracker.open(settings=settings_for(store_url)) as opened:
        yield opened


def test_the_snippet_here_is_the_documented_one_with_only_the_import_changed(
    origin_notes: Path,
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", origin_notes.read_text(encoding="utf-8"), re.S)
    assert BROADCAST_SNIPPET.replace(NEW_IMPORT, OLD_IMPORT) == blocks[0]


def test_the_old_broadcast_code_tracks_the_signal_under_the_first_receiver(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not (tmp_path / "compat.db").exists()
    before = int(time.time())
    signal_id = broadcast(bot_signal(), receivers=[123456, 777, 888])
    after = time.time()
    assert capsys.readouterr().out == f"[AutoSignal] Tracked signal: {signal_id}\n"
    assert re.fullmatch(r"123456_BTCUSDT_\d{10}", signal_id)
    assert before <= int(signal_id.rsplit("_", 1)[1]) <= after  # stamped with the call's time
    assert (tmp_path / "compat.db").is_file()  # created on first use, no init command
    with Tracker.open(settings=settings_for(store_url)) as tracker:
        record = tracker.get(signal_id)
    s = record.signal
    assert (s.user_id, s.receivers, s.symbol) == (123456, (123456,), "BTCUSDT")
    assert (s.timeframe.value, s.side.value) == ("15m", "LONG")
    assert (s.entry, s.targets, s.stop) == (50000.0, (51000.0, 52000.0), 49000.0)
    assert (record.status.value, record.result) == ("ACTIVE", None)


def test_the_old_defaults_fill_a_sparse_signal(
    store: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    sig = {"symbol": "ethusdt", "side": "SHORT", "entry_price": 3000.0, "tp1": 2900.0, "sl": 3100.0}
    signal_id = broadcast(sig, receivers=[5], TIMEFRAME="1h")
    assert capsys.readouterr().out.startswith("[AutoSignal] Tracked signal: 5_ETHUSDT_")
    s = store.get(signal_id).signal
    assert (s.timeframe.value, s.side.value, s.tp2) == ("1h", "SHORT", None)


def test_no_receivers_means_nothing_tracked_and_nothing_printed(
    store: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    assert broadcast(bot_signal(), receivers=[]) is None
    assert capsys.readouterr().out == ""
    assert store.list() == []


def test_a_bad_signal_never_breaks_the_broadcast(
    store: Tracker, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert broadcast(bot_signal(sl=50500.0), receivers=[1]) is None
    assert capsys.readouterr().out == "[AutoSignal] Tracked signal: None\n"
    assert "sl: must be below entry" in caplog.text
    assert store.list() == []


def test_numpy_prices_and_a_text_user_id_are_accepted(store: Tracker) -> None:
    signal_id = compat.track_signal_given(
        "123456", "BTC/USDT", "15m", np.float64(50000), np.float64(51000), np.float32(52000),
        np.float64(49000), "BUY",
    )  # fmt: skip
    assert signal_id is not None and signal_id.startswith("123456_BTCUSDT_")
    assert store.get(signal_id).signal.side.value == "LONG"


def test_update_signal_outcome_closes_as_win_and_a_second_call_corrects_it(store: Tracker) -> None:
    signal_id = compat.track_signal_given(1, "BTCUSDT", "15m", 50000, 51000, 52000, 49000)
    assert signal_id is not None
    assert compat.update_signal_outcome(signal_id, hit_tp=True, pnl_percent=2.5) is None
    record = store.get(signal_id)
    assert (record.status.value, record.result, record.pnl_pct) == ("CLOSED", "WIN", 2.5)
    compat.update_signal_outcome(signal_id, hit_tp=False, pnl_percent=-2.0)
    assert (store.get(signal_id).result, store.get(signal_id).pnl_pct) == ("LOSS", -2.0)
    events = store.events(signal_id)
    assert [e.kind.value for e in events] == ["created", "closed", "override"]
    assert (events[-1].actor, events[-1].data["old_result"]) == ("compat", "WIN")


def test_get_current_winrate_has_the_old_keys_rounded_to_two_decimals(store: Tracker) -> None:
    ids = [compat.track_signal_given(1, symbol, "15m", 100, 110, 120, 90)
           for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")]  # fmt: skip
    for signal_id, hit_tp, pnl in zip(ids, (True, True, False), (2.5, 1.333, -2.0), strict=False):
        compat.update_signal_outcome(signal_id, hit_tp=hit_tp, pnl_percent=pnl)
    wr = compat.get_current_winrate(7)
    assert wr == {"total_signals": 3, "wins": 2, "losses": 1, "winrate": 66.67, "avg_pnl": 0.61}
    assert f"{wr['avg_pnl']:+.2f}%" == "+0.61%"
    assert compat.get_current_winrate(30) == wr


def test_get_current_winrate_is_zero_not_none_when_empty(store: Tracker) -> None:
    wr = compat.get_current_winrate()
    assert wr is not None and set(wr) == OLD_WINRATE_KEYS
    assert all(value == 0 and value is not None for value in wr.values())
    assert f"Winrate: {wr['winrate']:.1f}% · Avg PnL: {wr['avg_pnl']:+.2f}%" == (
        "Winrate: 0.0% · Avg PnL: +0.00%"
    )


def test_track_user_command_stores_the_command(store: Tracker, tmp_path: Path) -> None:
    assert compat.track_user_command(123456, "budi", "/winrate", "BTCUSDT", "15m") is None
    compat.track_user_command(42, None, "/start")
    store.export_jsonl(tmp_path / "out")
    files = sorted((tmp_path / "out").glob("prompts_*.jsonl"))  # one per Jakarta day
    lines = [json.loads(x) for f in files for x in f.read_text(encoding="utf-8").splitlines()]
    assert [(x["user_id"], x["username"], x["command"], x["symbol"], x["timeframe"])
            for x in lines] == [(123456, "budi", "/winrate", "BTCUSDT", "15m"),
                                (42, None, "/start", None, None)]  # fmt: skip


def test_without_a_url_the_store_is_the_default_sqlite_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGTRACK_DATABASE_URL", raising=False)
    compat.reset()
    try:
        assert compat.track_signal_given(1, "BTCUSDT", "15m", 100, 110, 120, 90) is not None
    finally:
        compat.reset()
    assert (Path.cwd() / "signal_logs" / "sigtrack.db").is_file()


# --- never raising --------------------------------------------------------------------

OLD_CALLS: list[tuple[str, Callable[[], object]]] = [
    ("track_signal_given",
     lambda: compat.track_signal_given(1, "BTCUSDT", "15m", 100, 110, 120, 90)),
    ("update_signal_outcome", lambda: compat.update_signal_outcome("1_BTCUSDT_1", True, 2.5)),
    ("get_current_winrate", lambda: compat.get_current_winrate(7)),
    ("track_user_command", lambda: compat.track_user_command(1, "budi", "/winrate")),
]  # fmt: skip


def test_an_unreachable_database_fails_a_read_with_none_and_logs_without_the_password(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SIGTRACK_DATABASE_URL", UNREACHABLE)
    compat.reset()
    try:
        assert compat.get_current_winrate(7) is None
    finally:
        compat.reset()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["sigtrack.compat"]
    assert "get_current_winrate" in errors[0].getMessage()
    assert "s3cret" not in caplog.text


WRITES = [(name, call) for name, call in OLD_CALLS if name != "get_current_winrate"]


@pytest.mark.parametrize(("name", "call"), WRITES, ids=[n for n, _ in WRITES])
def test_a_write_while_the_database_is_unreachable_is_journaled_not_lost(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, name: str,
    call: Callable[[], object],
) -> None:  # fmt: skip
    monkeypatch.setenv("SIGTRACK_DATABASE_URL", UNREACHABLE)
    compat.reset()
    try:
        answer = call()
    finally:
        compat.reset()
    journal = (Path.cwd() / "signal_logs" / "journal" / "journal.jsonl").read_text()
    (entry,) = [json.loads(line) for line in journal.splitlines()]
    if name == "track_signal_given":  # the id the store will have
        assert isinstance(answer, str) and answer.startswith("1_BTCUSDT_")
        assert entry["op"] == "track" and entry["signals"][0]["signal_id"] == answer
    else:
        assert answer is None
        assert entry["op"] == {"update_signal_outcome": "close"}.get(name, "activity")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "writes go to the journal" in caplog.text
    assert "s3cret" not in caplog.text


def test_the_store_is_opened_again_once_the_database_is_back(
    monkeypatch: pytest.MonkeyPatch, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SIGTRACK_DATABASE_URL", UNREACHABLE)
    assert compat.get_current_winrate() is None
    monkeypatch.setenv("SIGTRACK_DATABASE_URL", store_url)
    compat.reset()  # the shared tracker keeps its URL (and journals while it is down)
    assert compat.track_signal_given(1, "BTCUSDT", "15m", 100, 110, 120, 90) is not None
    assert compat.get_current_winrate() == dict.fromkeys(OLD_WINRATE_KEYS, 0)


GARBAGE: list[tuple[str, Callable[[], object], str]] = [
    ("entry 0", lambda: compat.track_signal_given(1, "BTCUSDT", "15m", 0, 110, 120, 90), "entry"),
    ("no symbol", lambda: compat.track_signal_given(1, None, "15m", 100, 110, 120, 90), "symbol"),
    ("sl above", lambda: compat.track_signal_given(1, "BTCUSDT", "15m", 100, 110, 120, 101), "sl"),
    ("bad tf", lambda: compat.track_signal_given(1, "BTCUSDT", "9m", 100, 110, 120, 90), "9m"),
    ("text price",
     lambda: compat.track_signal_given(1, "BTCUSDT", "15m", "abc", 110, 120, 90), "abc"),
    ("bad side",
     lambda: compat.track_signal_given(1, "BTCUSDT", "15m", 100, 110, 120, 90, "UP"), "UP"),
    ("unknown id", lambda: compat.update_signal_outcome("1_BTCUSDT_1", True, 2.5), "1_BTCUSDT_1"),
    ("no id", lambda: compat.update_signal_outcome(None, True, 2.5), "signal_id"),  # type: ignore[arg-type]
    ("0 days", lambda: compat.get_current_winrate(0), "days"),
    ("text days", lambda: compat.get_current_winrate("x"), "days"),  # type: ignore[arg-type]
    ("text user", lambda: compat.track_user_command("abc", "x", "/winrate"), "user_id"),  # type: ignore[arg-type]
    ("no command", lambda: compat.track_user_command(1, "x", None), "command"),  # type: ignore[arg-type]
]  # fmt: skip


@pytest.mark.parametrize(("call", "named"), [g[1:] for g in GARBAGE], ids=[g[0] for g in GARBAGE])
def test_garbage_arguments_return_none_store_nothing_and_log_the_reason(
    store: Tracker, caplog: pytest.LogCaptureFixture, call: Callable[[], object], named: str
) -> None:
    assert call() is None
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].name == "sigtrack.compat"
    assert named in caplog.text
    assert store.list() == []
