"""`sigtrack resolve` and `sigtrack monitor`: candle files, the loopback exchange, SIGTERM."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pa_csv
import pytest
from e2e_support import Cli, file_signal, one_error_line, write_lines
from rich.console import Console

from factories import make_signal, settings_for
from fake_exchange import FakeBinance
from sigtrack import Tracker
from sigtrack.adapters.market.exchange import CcxtCandleSource
from sigtrack.cli.settle_cmd import PassProgress, StopRequest
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.resolution import settle_one
from sigtrack.core.signals import Status
from sigtrack.services.settling import SettlingService

T0_MS = 1767841200_000  # 2026-01-08 10:00 in Jakarta, when both signals are created
AT = "2026-01-08T10:00:00+07:00"
BTC_ID, ETH_ID = "0_BTCUSDT_1767841200", "0_ETHUSDT_1767841200"
BTC = ("--symbol", "BTCUSDT", "--side", "LONG", "--timeframe", "15m", "--entry", "50000",
       "--tp1", "51000", "--tp2", "52000", "--sl", "49000", "--at", AT)  # fmt: skip
ETH = ("--symbol", "ETHUSDT", "--side", "SHORT", "--timeframe", "15m", "--entry", "3000",
       "--tp1", "2940", "--tp2", "2880", "--sl", "3060", "--at", AT)  # fmt: skip
# BTC: TP1 (51000) at 10:01, then the stop moved to entry at 10:02:
#      WIN TP1_BE, 50 % × +2 % + 50 % × 0 % = +1.00 %, R = 1 % / 2 % = 0.5.
BTC_ROWS = [(0, 50000, 50200, 49800, 50100), (1, 50100, 51200, 50050, 51000),
            (2, 51000, 51100, 49950, 50000), (3, 50000, 50100, 49900, 50050)]  # fmt: skip
# ETH SHORT: the stop (3060) at 10:01: LOSS SL, −(3060 − 3000) / 3000 = −2.00 %, R = −1.
ETH_ROWS = [(0, 3000, 3010, 2990, 3005), (1, 3005, 3065, 3000, 3050)]
RULE = "sl_first plan=0.5/0.5 be life=96tf fee=0bps x1"
PASS_KEYS = {"checked", "symbols", "symbols_settled_elsewhere", "rule", "closed", "tp_hits",
             "wins", "losses", "expired", "still_open", "elapsed_s", "changes",
             "failures"}  # fmt: skip
CHANGE_KEYS = {"signal_id", "new_tp_hits", "status", "result", "exit_reason", "pnl_pct",
               "r_multiple", "closed_at", "ambiguous"}  # fmt: skip
OUTCOME_KEYS = {"r_multiple", "ambiguous", "rule", "mfe_pct", "mae_pct", "horizon_mfe_pct",
                "horizon_mae_pct", "horizon_complete", "gaps", "settled_through",
                "legs"}  # fmt: skip


def write_candles(path: Path, rows: list[tuple[int, float, float, float, float]]) -> Path:
    """A candle CSV from (minute after 10:00 Jakarta, open, high, low, close)."""
    lines = [f"{T0_MS + n * MINUTE_MS},{o},{h},{lo},{c}" for n, o, h, lo, c in rows]
    path.write_text("timestamp,open,high,low,close\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of SYMBOL.csv with the hand-worked BTC and ETH candles."""
    path = tmp_path / "candles"
    path.mkdir()
    write_candles(path / "BTCUSDT.csv", BTC_ROWS)
    write_candles(path / "ETHUSDT.csv", ETH_ROWS)
    return path


@pytest.fixture
def two_signals(cli: Cli) -> Cli:
    assert cli("track", *BTC).out.strip() == BTC_ID
    assert cli("track", *ETH).out.strip() == ETH_ID
    return cli


# --- resolve --------------------------------------------------------------------------


def test_resolve_with_a_folder_settles_each_symbol_to_the_hand_worked_outcome(
    two_signals: Cli, folder: Path
) -> None:
    cli = two_signals
    cli("resolve", "--candles", folder)

    btc, eth = cli("show", BTC_ID, "--json").json(), cli("show", ETH_ID, "--json").json()
    assert (btc["status"], btc["result"], btc["exit_reason"]) == ("CLOSED", "WIN", "TP1_BE")
    assert (btc["pnl_pct"], btc["r_multiple"]) == (1.0, 0.5)
    assert btc["closed_at"] == "2026-01-08T10:02:00+07:00"
    assert (eth["status"], eth["result"], eth["exit_reason"]) == ("CLOSED", "LOSS", "SL")
    assert (eth["pnl_pct"], eth["r_multiple"]) == (-2.0, -1.0)
    assert eth["closed_at"] == "2026-01-08T10:01:00+07:00"


def test_resolve_prints_the_pass_in_indonesian_by_default(two_signals: Cli, folder: Path) -> None:
    out = two_signals("resolve", "--candles", folder).out

    summary, results, *examples = out.splitlines()
    assert summary == "🔎 2 signal aktif dicek (2 koin): 2 selesai, 1 TP tercapai, 0 masih aktif."
    assert re.fullmatch(r"   1 win, 1 loss, 0 kedaluwarsa; selesai dalam \d+\.\d dtk\.", results)
    assert examples == [
        f"• {BTC_ID}: TP1 tercapai pada 2026-01-08T10:01:00+07:00",
        f"• {BTC_ID}: WIN (TP1_BE) PnL +1.00% pada 2026-01-08T10:02:00+07:00",
        f"• {ETH_ID}: LOSS (SL) PnL -2.00% pada 2026-01-08T10:01:00+07:00",
    ]


def test_resolve_speaks_english_with_lang_en(two_signals: Cli, folder: Path) -> None:
    out = two_signals("resolve", "--candles", folder, "--lang", "en").out

    assert out.splitlines()[0] == (
        "🔎 2 open signals checked (2 coins): 2 closed, TP hits: 1, 0 still open."
    )
    assert out.splitlines()[1].startswith("   1 wins, 1 losses, 0 expired; done in ")
    assert f"• {BTC_ID}: TP1 reached at 2026-01-08T10:01:00+07:00" in out
    assert f"• {BTC_ID}: WIN (TP1_BE) PnL +1.00% at 2026-01-08T10:02:00+07:00" in out
    assert "tercapai" not in out


def test_resolve_json_has_the_pass_and_every_change(two_signals: Cli, folder: Path) -> None:
    report = two_signals("resolve", "--candles", folder, "--json").json()

    assert set(report) == PASS_KEYS
    assert (report["checked"], report["symbols"], report["closed"]) == (2, 2, 2)
    assert (report["tp_hits"], report["still_open"], report["rule"]) == (1, 0, RULE)
    assert (report["wins"], report["losses"], report["expired"]) == (1, 1, 0)
    assert report["elapsed_s"] >= 0
    assert report["failures"] == []
    assert all(set(change) == CHANGE_KEYS for change in report["changes"])
    by_id = {change["signal_id"]: change for change in report["changes"]}
    assert by_id[BTC_ID] == {
        "signal_id": BTC_ID, "new_tp_hits": [1], "status": "CLOSED", "result": "WIN",
        "exit_reason": "TP1_BE", "pnl_pct": 1.0, "r_multiple": 0.5,
        "closed_at": "2026-01-08T10:02:00+07:00", "ambiguous": False,
    }  # fmt: skip
    assert by_id[ETH_ID]["new_tp_hits"] == [] and by_id[ETH_ID]["result"] == "LOSS"


def test_a_big_pass_prints_a_screenful_of_examples_and_json_lists_every_change(
    cli: Cli, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = [file_signal(entry=50000.0 + k, receivers=[k + 1]) for k in range(15)]
    cli("track", "--file", write_lines(tmp_path / "many.jsonl", signals))
    many = tmp_path / "many.db"
    copy = Cli(f"sqlite:///{many}", capsys)
    shutil.copy(Path(cli.db_url.removeprefix("sqlite:///")), many)

    run = cli("resolve", "--candles", folder, "--lang", "en")
    report = copy("resolve", "--candles", folder, "--json").json()

    summary, results, *examples, more = run.out.splitlines()
    assert summary == "🔎 15 open signals checked (1 coins): 15 closed, TP hits: 15, 0 still open."
    assert results.startswith("   15 wins, 0 losses, 0 expired; done in ")
    assert len(examples) == 20  # of the 30 lines of TP hits and closes
    assert more == "… and 10 more (--json lists them all)"
    assert run.err == ""  # no progress bar in a pipe
    assert len(report["changes"]) == 15
    assert all(c["new_tp_hits"] == [1] and c["result"] == "WIN" for c in report["changes"])


def test_show_json_carries_the_outcome_details_and_the_monitor_events(
    two_signals: Cli, folder: Path
) -> None:
    cli = two_signals
    before = cli("show", BTC_ID, "--json").json()
    assert {key: before[key] for key in OUTCOME_KEYS - {"legs"}} == dict.fromkeys(
        OUTCOME_KEYS - {"legs"}
    ) and before["legs"] == []  # nothing settled yet

    cli("resolve", "--candles", folder)
    shown = cli("show", BTC_ID, "--json").json()

    assert set(shown) >= OUTCOME_KEYS
    assert (shown["r_multiple"], shown["ambiguous"], shown["rule"], shown["gaps"]) == (
        0.5, False, RULE, 0,
    )  # fmt: skip
    assert shown["mfe_pct"] == pytest.approx(2.4) and shown["mae_pct"] == pytest.approx(-0.4)
    assert shown["horizon_mfe_pct"] == pytest.approx(2.4) and shown["horizon_complete"] is False
    assert shown["settled_through"] == "2026-01-08T10:03:00+07:00"  # the candle after the exit
    assert shown["legs"] == [
        {"target": 51000.0, "fraction": 0.5, "hit_at": "2026-01-08T10:01:00+07:00",
         "exit_at": "2026-01-08T10:01:00+07:00", "exit_price": 51000.0},
        {"target": 52000.0, "fraction": 0.5, "hit_at": None,
         "exit_at": "2026-01-08T10:02:00+07:00", "exit_price": 50000.0},
    ]  # fmt: skip
    created, tp_hit, closed = shown["events"]
    assert (created["kind"], created["actor"]) == ("created", "api")
    assert tp_hit == {"kind": "tp_hit", "at": "2026-01-08T10:01:00+07:00", "actor": "monitor",
                      "note": tp_hit["note"], "data": {"target": 1, "price": 51000.0}}  # fmt: skip
    assert (closed["kind"], closed["at"], closed["actor"]) == (
        "closed", "2026-01-08T10:02:00+07:00", "monitor",
    )  # fmt: skip
    assert closed["data"]["result"] == "WIN" and closed["data"]["exit_reason"] == "TP1_BE"
    assert closed["data"]["pnl_pct"] == 1.0 and closed["data"]["rule"] == RULE


def test_resolve_again_changes_nothing(two_signals: Cli, folder: Path) -> None:
    cli = two_signals
    cli("resolve", "--candles", folder)
    first = cli("show", BTC_ID, "--json").json()

    again = cli("resolve", "--candles", folder, "--json").json()

    assert (again["checked"], again["changes"]) == (0, [])
    assert cli("show", BTC_ID, "--json").json() == first


def test_resolve_with_one_file_and_symbol_settles_only_that_symbol(
    two_signals: Cli, folder: Path
) -> None:
    cli = two_signals
    report = cli("resolve", "--candles", folder / "BTCUSDT.csv", "--symbol", "btc/usdt",
                 "--json").json()  # fmt: skip

    assert (report["checked"], report["symbols"], report["failures"]) == (1, 1, [])
    assert cli("show", BTC_ID, "--json").json()["exit_reason"] == "TP1_BE"
    eth = cli("show", ETH_ID, "--json").json()
    assert (eth["status"], eth["rule"]) == ("ACTIVE", None)


def test_resolve_with_a_folder_and_symbol_settles_only_that_symbol(
    two_signals: Cli, folder: Path
) -> None:
    """--symbol's help says "Only this symbol (required with one file)": a filter."""
    cli = two_signals
    report = cli("resolve", "--candles", folder, "--symbol", "BTCUSDT", "--json").json()

    assert (report["checked"], report["symbols"]) == (1, 1)
    assert cli("show", ETH_ID, "--json").json()["status"] == "ACTIVE"


def test_resolve_as_of_an_earlier_time_reads_only_the_candles_final_by_then(
    two_signals: Cli, folder: Path
) -> None:
    cli = two_signals
    report = cli("resolve", "--candles", folder, "--as-of", "2026-01-08T10:02:00", "--json").json()

    assert (report["closed"], report["tp_hits"], report["still_open"]) == (1, 1, 1)
    btc = cli("show", BTC_ID, "--json").json()
    assert (btc["status"], btc["settled_through"]) == ("ACTIVE", "2026-01-08T10:02:00+07:00")
    assert [e["kind"] for e in btc["events"]] == ["created", "tp_hit"]


def test_a_symbol_without_candles_is_reported_and_the_others_settle(
    two_signals: Cli, tmp_path: Path
) -> None:
    only_btc = tmp_path / "only_btc"
    only_btc.mkdir()
    write_candles(only_btc / "BTCUSDT.csv", BTC_ROWS)

    run = two_signals("resolve", "--candles", only_btc)
    report = two_signals("resolve", "--candles", only_btc, "--json").json()

    assert "⚠️ ETHUSDT: candle tidak terbaca kali ini:" in run.out
    assert [f["symbol"] for f in report["failures"]] == ["ETHUSDT"]
    assert "ETHUSDT.csv" in report["failures"][0]["reason"]
    assert two_signals("show", BTC_ID, "--json").json()["status"] == "CLOSED"


def test_resolve_refuses_a_candles_path_that_does_not_exist(
    two_signals: Cli, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    line = one_error_line(two_signals("resolve", "--candles", missing, code=2).err)

    assert str(missing) in line and "no such file or folder" in line
    assert line.startswith("error: --candles:")
    assert two_signals("show", BTC_ID, "--json").json()["status"] == "ACTIVE"


def test_resolve_with_one_file_requires_the_symbol(two_signals: Cli, folder: Path) -> None:
    line = one_error_line(two_signals("resolve", "--candles", folder / "BTCUSDT.csv", code=2).err)

    assert line.startswith(("error: symbol:", "error: --symbol:"))
    assert "BTCUSDT.csv" in line


def test_a_malformed_candle_file_is_named_with_its_line(two_signals: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "BTCUSDT.csv").write_text(
        f"timestamp,open,high,low,close\n{T0_MS},50000,50100,49900,50000\n"
        f"{T0_MS + MINUTE_MS},50000,abc,49900,50000\n",
        encoding="utf-8",
    )

    report = two_signals("resolve", "--candles", bad, "--json").json()

    [failure] = [f for f in report["failures"] if f["symbol"] == "BTCUSDT"]
    assert "BTCUSDT.csv" in failure["reason"] and "line 3" in failure["reason"]


# --- monitor --------------------------------------------------------------------------


def test_monitor_runs_the_given_passes_over_candle_files(two_signals: Cli, folder: Path) -> None:
    out = two_signals("monitor", "--passes", "2", "--every", "1", "--candles", folder).out

    lines = out.splitlines()
    assert lines[0] == f"monitor: every 1s, files:{folder}; Aturan: {RULE}"
    summaries = [line for line in lines if line.startswith("🔎")]
    assert summaries == [
        "🔎 2 signal aktif dicek (2 koin): 2 selesai, 1 TP tercapai, 0 masih aktif.",
        "🔎 0 signal aktif dicek (0 koin): 0 selesai, 0 TP tercapai, 0 masih aktif.",
    ]
    assert two_signals("show", ETH_ID, "--json").json()["result"] == "LOSS"


def test_monitor_speaks_english_with_lang_en(two_signals: Cli, folder: Path) -> None:
    out = two_signals("monitor", "--passes", "1", "--candles", folder, "--lang", "en").out

    assert out.splitlines()[0] == f"monitor: every 60s, files:{folder}; Rule: {RULE}"
    assert "2 open signals checked" in out


def test_monitor_with_one_file_and_symbol_settles_only_that_symbol(
    two_signals: Cli, folder: Path
) -> None:
    run = two_signals(
        "monitor", "--passes", "1", "--candles", folder / "BTCUSDT.csv", "--symbol", "BTCUSDT"
    )

    assert "🔎 1 signal aktif dicek (1 koin)" in run.out
    assert "ETHUSDT" not in run.out + run.err
    assert two_signals("show", BTC_ID, "--json").json()["status"] == "CLOSED"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--every", "0"), "--every"),
        (("--every", "soon"), "--every"),
        (("--passes", "0"), "--passes"),
        (("--passes", "two"), "--passes"),
    ],
)
def test_monitor_refuses_bad_timing_options(
    two_signals: Cli, folder: Path, args: tuple[str, str], option: str
) -> None:
    run = two_signals("monitor", "--candles", folder, *args, code=2)

    assert one_error_line(run.err).startswith(f"error: {option}:")
    assert run.out == ""


def test_monitor_stops_on_sigterm_and_exits_0(tmp_path: Path, folder: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGTRACK_")}
    script = Path(sys.executable).with_name("sigtrack")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sigtrack.cli"]
    with Tracker.open(settings=settings_for(url)) as tracker:
        tracker.track(make_signal(created_at=datetime.fromtimestamp(T0_MS / 1000, UTC)))
    process = subprocess.Popen(
        [*command, "--db", url, "monitor", "--every", "3600", "--candles", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    seen: list[str] = []
    try:
        assert process.stdout is not None
        lines = iter(process.stdout.readline, "")
        seen.append(next(lines))
        assert seen[0].startswith("monitor: every 3600s")  # the handlers are set
        for line in lines:  # until the first pass's summary: then the hour's wait
            seen.append(line)
            if line.startswith("🔎"):
                break
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)  # a guard: the wait ends at the signal
        # then the rest, from the same buffered stream (communicate() would read past
        # what readline had already buffered)
        rest, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, err
    printed = [*(line.rstrip("\n") for line in seen), *rest.splitlines()]
    assert printed[-1] == "stopping (SIGTERM) …"  # said after the loop, once
    assert [line for line in printed if printed.count(line) > 1] == []  # each line once
    assert sum(line.startswith("🔎") for line in printed) == 1  # one pass, printed once
    assert any(BTC_ID in line for line in printed)  # the pass's close, printed once
    assert "Traceback" not in err
    with Tracker.open(settings=settings_for(url)) as tracker:
        assert tracker.get(BTC_ID).status is Status.CLOSED


def test_the_stop_handler_prints_nothing_and_keeps_the_signal_for_after_the_loop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop = StopRequest()

    stop(signal.SIGTERM, None)

    assert (stop.is_set(), stop.signal_name) == (True, "SIGTERM")
    assert capsys.readouterr() == ("", "")


# --- monitor against the loopback exchange ------------------------------------------------

CANDLE_DIR = Path(
    os.environ.get(
        "SIGTRACK_TEST_CANDLES_DIR",
        Path(__file__).resolve().parents[2].parent / "shared" / "data" / "candles",
    )
)
ONE_DAY = "lean_cryptofuture_binance_btcusd_1m_20221213.csv"  # 1439 rows, one exchange gap


@pytest.fixture(scope="module")
def one_day() -> Candles:
    """A real day of BTC futures minutes, read straight with pyarrow."""
    path = CANDLE_DIR / ONE_DAY
    if not path.is_file():
        pytest.skip(f"real candle data not found: {path} (set SIGTRACK_TEST_CANDLES_DIR)")
    table = pa_csv.read_csv(path)
    return Candles(
        open_time_ms=table["timestamp"].to_numpy(),
        **{
            name: np.asarray(table[name].to_numpy(), dtype=np.float64)
            for name in ("open", "high", "low", "close", "volume")
        },
    )


@pytest.fixture
def exchange(one_day: Candles) -> Iterator[FakeBinance]:
    """The fake Binance serving the day as BTCUSDT, its clock 5 minutes after the day ends."""
    with FakeBinance(now_ms=(one_day.end_ms or 0) + 5 * MINUTE_MS) as fake:
        fake.serve("BTCUSDT", one_day)
        yield fake


def day_signals(day: Candles) -> list[dict[str, object]]:
    """LONG and SHORT signals through the day at 0.15 % / 0.4 % from the open: wins, losses,
    expiries, some across the exchange's missing minute, some still open when the data ends."""
    lines = []
    for k, row in enumerate([30, 262, 266, 600, 900, 1200, 1380, 1430]):
        at = datetime.fromtimestamp(int(day.open_time_ms[row]) / 1000, UTC)
        entry = round(float(day.open[row]), 1)
        for side, sign in (("LONG", 1), ("SHORT", -1)):
            for step in (0.0015, 0.004):
                lines.append(
                    file_signal(
                        symbol="BTCUSDT", side=side, timeframe=("1m", "5m", "15m")[k % 3],
                        entry=entry, tp1=round(entry * (1 + sign * step), 1),
                        tp2=round(entry * (1 + 2 * sign * step), 1),
                        sl=round(entry * (1 - sign * step), 1), created_at=at.isoformat(),
                        receivers=[len(lines) + 1],
                    )
                )  # fmt: skip
    return lines


def outcomes_after_monitor(
    capsys: pytest.CaptureFixture[str], url: str, signals_file: Path
) -> dict[str, dict[str, Any]]:
    """Track the day's signals in a new store, run `monitor --passes 2`; every signal as
    `list --json` shows it, with its events (the created one's wall-clock time left out)."""
    cli = Cli(url, capsys)
    cli("track", "--file", signals_file)
    cli("monitor", "--passes", "2", "--every", "1")
    rows = {row["signal_id"]: row for row in cli("list", "--json").json()}
    with Tracker.open(settings=settings_for(url)) as tracker:
        for signal_id, row in rows.items():
            created, *events = tracker.events(signal_id)
            row["events"] = [created.kind, *events]
    return rows


def test_monitor_against_a_faulty_exchange_stores_the_outcomes_of_a_clean_run(
    exchange: FakeBinance,
    one_day: Candles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signals_file = write_lines(tmp_path / "day.jsonl", day_signals(one_day))
    monkeypatch.setenv("SIGTRACK_EXCHANGE_URL", exchange.url)
    monkeypatch.setenv("SIGTRACK_CANDLES_DIR", str(tmp_path / "clean-cache"))
    clean = outcomes_after_monitor(capsys, f"sqlite:///{tmp_path / 'clean.db'}", signals_file)
    assert exchange.requests["klines"] >= 3  # the day was read from the exchange, in pages

    exchange.fail("exchangeInfo", 500)
    exchange.fail("klines", 429, retry_after_s=1)
    exchange.fail("klines", 500)
    exchange.shorten_pages(100)
    # the candle that closed a signal is late: missing from the first answer, there on a re-read
    exit_row = next(row for row in clean.values() if row["exit_reason"] in {"SL", "TP1_BE"})
    exchange.drop_once("BTCUSDT", int(datetime.fromisoformat(exit_row["closed_at"]).timestamp()
                                      * 1000))  # fmt: skip
    monkeypatch.setenv("SIGTRACK_CANDLES_DIR", str(tmp_path / "faulty-cache"))
    faulty_url = f"sqlite:///{tmp_path / 'faulty.db'}"
    faulty = outcomes_after_monitor(capsys, faulty_url, signals_file)

    assert exchange.faults_left == 0  # every fault was met
    assert faulty == clean
    results = [view["result"] for view in clean.values()]
    assert {"WIN", "LOSS", "EXPIRED", None} <= set(results)  # every ending, some still open
    assert any(view["gaps"] for view in clean.values())  # the exchange's missing minute
    with Tracker.open(settings=settings_for(faulty_url)) as tracker:
        for signal_id in faulty:
            record = tracker.get(signal_id)
            assert record.outcome == settle_one(record.signal, one_day), signal_id


def test_a_timed_out_exchange_read_is_retried_and_settles_as_the_reference(
    exchange: FakeBinance, one_day: Candles, sqlite_tracker: Tracker
) -> None:
    """Through the service: the CLI has no setting for the exchange timeout (10 s)."""
    ids = sqlite_tracker.track_many(day_signals(one_day)[:8])
    source = CcxtCandleSource(api_url=exchange.url, timeout_s=0.3, backoff_s=0.001,
                              rate_limit_ms=1.0)  # fmt: skip
    exchange.stall("klines", 2.0)
    service = SettlingService(sqlite_tracker._app.store, source, sqlite_tracker.settings.policy)

    report = service.run_pass(now=datetime.now(UTC))
    source.close()

    assert report.failures == () and exchange.faults_left == 0
    for signal_id in ids:
        record = sqlite_tracker.get(signal_id)
        assert record.outcome == settle_one(record.signal, one_day), signal_id


# --- the progress bar -----------------------------------------------------------------------


class Ticks:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_progress_bar_shows_on_a_terminal_once_the_pass_takes_more_than_a_moment() -> None:
    screen, clock = io.StringIO(), Ticks()
    console = Console(file=screen, force_terminal=True, width=80)

    with PassProgress(console, after_s=0.5, clock=clock) as progress:
        progress(0, 1000)
        assert screen.getvalue() == ""  # a quick start shows nothing
        clock.now = 0.6
        progress(250, 1000)
        progress(1000, 1000)

    drawn = screen.getvalue()
    assert "settling" in drawn and "1000/1000" in drawn


def test_the_progress_bar_never_draws_into_a_pipe_nor_for_a_quick_pass() -> None:
    pipe, screen, clock = io.StringIO(), io.StringIO(), Ticks()
    with PassProgress(Console(file=pipe), clock=clock) as progress:
        clock.now = 60.0
        progress(10, 100)
    with PassProgress(Console(file=screen, force_terminal=True), clock=Ticks()) as quick:
        quick(100, 100)

    assert (pipe.getvalue(), screen.getvalue()) == ("", "")
