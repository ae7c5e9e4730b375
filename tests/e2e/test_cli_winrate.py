"""`sigtrack winrate`: the old /winrate numbers and message, on a fixed clock (`--as-of`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from e2e_support import Cli, file_signal, run_quiet, write_lines

WINRATE_KEYS = {"days", "total", "wins", "losses", "winrate_pct", "winrate_interval_pct",
                "avg_pnl_pct", "open", "expired"}  # fmt: skip
AS_OF = "2026-01-12T12:00:00"  # Jakarta; the 7-day window opens 2026-01-06 00:00 (+07:00)
INDONESIAN = [
    "WINRATE SIGNAL (7 HARI)", "STATISTIK", "Total Signal: 5", "Win: 2", "Loss: 1",
    "Winrate: 66.7%", "Avg PnL: +0.2%", "Interval 95%: 20.8% – 93.9%",
    "Masih aktif (belum dihitung): 1", "Sampel kecil",
]  # fmt: skip
ENGLISH = [
    "SIGNAL WINRATE (7 DAYS)", "STATISTICS", "Total Signals: 5", "Win: 2", "Loss: 1",
    "Winrate: 66.7%", "Avg PnL: +0.2%", "95% interval: 20.8% – 93.9%",
    "Still open (not counted): 1",
]  # fmt: skip


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A week of signals settled every way, plus one just before the window opens."""
    folder = tmp_path_factory.mktemp("winrate")
    url = f"sqlite:///{folder / 'x.db'}"
    created = [
        "2026-01-08T10:00:00+07:00",  # win +2.5
        "2026-01-09T10:00:00+07:00",  # win +1.5
        "2026-01-10T10:00:00+07:00",  # loss -2.2
        "2026-01-11T10:00:00+07:00",  # open
        "2026-01-05T17:30:00+00:00",  # breakeven; 00:30 on 6 January in Jakarta
        "2026-01-05T23:00:00+07:00",  # win +9.9, the evening before the window opens
        "2026-01-09T12:00:00+07:00",  # cancelled
    ]
    path = write_lines(folder / "s.jsonl", [file_signal(created_at=c) for c in created])
    ids = run_quiet(url, "track", "--file", path).split()
    for signal_id, result, pnl in [
        (ids[0], "win", "2.5"), (ids[1], "win", "1.5"), (ids[2], "loss", "-2.2"),
        (ids[5], "win", "9.9"),
    ]:  # fmt: skip
        run_quiet(url, "close", signal_id, "--result", result, "--pnl", pnl)
    run_quiet(url, "close", ids[4], "--result", "breakeven")
    run_quiet(url, "cancel", ids[6])
    expired = {"signal_id": "9_ETHUSDT_1", "user_id": 9, "symbol": "ETHUSDT", "timeframe": "1h",
               "signal_type": "SHORT", "entry_price": 3000, "tp1": 2900, "sl": 3100,
               "status": "CLOSED", "result": "EXPIRED", "pnl_percent": -1.0,
               "timestamp": "2026-01-10T12:00:00", "closed_at": "2026-01-14T12:00:00"}  # fmt: skip
    run_quiet(url, "import-jsonl", write_lines(folder / "completed_signals.jsonl", [expired]))
    return url


@pytest.fixture
def wr(week: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(week, capsys)


def test_winrate_json_counts_the_jakarta_week(wr: Cli) -> None:
    data = wr("winrate", "--json", "--as-of", AS_OF).json()
    assert set(data) >= WINRATE_KEYS
    counts = {k: data[k] for k in ("days", "total", "wins", "losses", "expired", "open")}
    assert counts == {"days": 7, "total": 5, "wins": 2, "losses": 1, "expired": 1, "open": 1}
    assert (data["breakeven"], data["cancelled"]) == (1, 1)
    assert data["winrate_pct"] == pytest.approx(200 / 3)
    assert data["winrate_interval_pct"] == pytest.approx([20.77, 93.85], abs=0.01)
    assert data["avg_pnl_pct"] == pytest.approx(0.2)  # (2.5 + 1.5 - 2.2 - 1.0) / 4
    assert data["since"] == "2026-01-06T00:00:00+07:00"
    assert datetime.fromisoformat(data["until"]) == datetime.fromisoformat(AS_OF + "+07:00")


def test_the_window_is_counted_in_the_display_zone(wr: Cli) -> None:
    data = wr("--tz", "UTC", "winrate", "--json", "--as-of", "2026-01-12T05:00:00Z").json()
    assert data["since"] == "2026-01-06T00:00:00+00:00"
    assert (data["total"], data["wins"], data["breakeven"]) == (4, 2, 0)


def test_a_longer_window_takes_in_older_signals(wr: Cli) -> None:
    data = wr("winrate", "--days", "30", "--json", "--as-of", AS_OF).json()
    assert (data["days"], data["wins"], data["losses"]) == (30, 3, 1)
    assert data["winrate_pct"] == pytest.approx(75.0)
    assert data["avg_pnl_pct"] == pytest.approx(10.7 / 5)


def test_signals_created_after_as_of_are_not_counted(wr: Cli) -> None:
    data = wr("winrate", "--json", "--as-of", "2026-01-11T09:59:00+07:00").json()
    assert data["since"] == "2026-01-05T00:00:00+07:00"
    assert (data["open"], data["wins"], data["losses"]) == (0, 3, 1)


def test_winrate_and_interval_are_null_when_nothing_is_settled(wr: Cli) -> None:
    data = wr("winrate", "--days", "1", "--json", "--as-of", AS_OF).json()
    assert (data["total"], data["wins"], data["losses"], data["open"]) == (0, 0, 0, 0)
    assert (data["winrate_pct"], data["winrate_interval_pct"], data["avg_pnl_pct"]) == (
        None, None, None,
    )  # fmt: skip


def test_winrate_text_is_the_old_indonesian_message_by_default(wr: Cli) -> None:
    text = wr("winrate", "--as-of", AS_OF).out
    for expected in INDONESIAN:
        assert expected in text, expected
    assert "WINRATE SIGNAL (30 HARI)" in wr("winrate", "--days", "30", "--as-of", AS_OF).out


@pytest.mark.parametrize(
    "args",
    [("winrate", "--lang", "en"), ("--lang", "en", "winrate"), ("--lang", "EN", "winrate")],
)
def test_winrate_text_in_english_on_request(wr: Cli, args: tuple[str, ...]) -> None:
    text = wr(*args, "--as-of", AS_OF).out
    for expected in ENGLISH:
        assert expected in text, expected
    assert "HARI" not in text


def test_the_language_can_come_from_the_environment(
    wr: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGTRACK_LANG", "en")
    assert "SIGNAL WINRATE (7 DAYS)" in wr("winrate", "--as-of", AS_OF).out


def test_an_empty_store_shows_dashes_not_zero_percent(cli: Cli) -> None:
    text = cli("winrate", "--as-of", AS_OF).out
    assert "Winrate: — " in text and "Avg PnL: —" in text and "0.0%" not in text
    assert "Belum ada signal WIN/LOSS" in text
    assert cli("winrate", "--json").json()["winrate_pct"] is None


def test_winrate_without_as_of_counts_signals_tracked_today(cli: Cli, tmp_path: Path) -> None:
    ids = cli("track", "--file", write_lines(tmp_path / "s.jsonl", [
        {k: v for k, v in file_signal().items() if k != "created_at"},
        {k: v for k, v in file_signal(symbol="ETHUSDT").items() if k != "created_at"},
    ])).out.split()  # fmt: skip
    cli("close", ids[0], "--result", "win", "--pnl", "2")
    data = cli("winrate", "--json").json()
    assert (data["wins"], data["open"], data["winrate_pct"]) == (1, 1, 100.0)


@pytest.mark.postgres
def test_winrate_is_the_same_on_postgresql(pg_cli: Cli, tmp_path: Path) -> None:
    created = ["2026-01-08T10:00:00+07:00", "2026-01-09T10:00:00+07:00",
               "2026-01-10T10:00:00+07:00", "2026-01-05T23:00:00+07:00"]  # fmt: skip
    path = write_lines(tmp_path / "s.jsonl", [file_signal(created_at=c) for c in created])
    ids = pg_cli("track", "--file", path).out.split()
    pg_cli("close", ids[0], "--result", "win", "--pnl", "2.5")
    pg_cli("close", ids[1], "--result", "loss", "--pnl", "-1.5")
    pg_cli("close", ids[3], "--result", "win", "--pnl", "9")
    data = pg_cli("winrate", "--json", "--as-of", AS_OF).json()
    assert (data["total"], data["wins"], data["losses"], data["open"]) == (2, 1, 1, 1)
    assert data["winrate_pct"] == pytest.approx(50.0)
    assert data["avg_pnl_pct"] == pytest.approx(0.5)
