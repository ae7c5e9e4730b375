"""`sigtrack track --file`, `list`, `import-jsonl` and `export-jsonl`, driven in-process."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from e2e_support import Cli, file_signal, one_error_line, run_quiet, write_lines

# --- track --file ---------------------------------------------------------------------


def test_track_file_stores_every_line_and_prints_the_ids_in_order(cli: Cli, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "signals.jsonl",
        [
            file_signal(),
            "",
            file_signal(symbol="eth/usdt", side="SELL", entry=3000, tp1=2900, tp2=None, sl=3100,
                        receivers=[7, 8], reasons=["Near supply zone"]),
        ],
    )  # fmt: skip
    ids = cli("track", "--file", path).out.split()
    assert ids == ["0_BTCUSDT_1767841200", "7_ETHUSDT_1767841200"]
    eth = cli("show", ids[1], "--json").json()
    assert (eth["symbol"], eth["side"], eth["tags"], eth["source"]) == (
        "ETHUSDT", "SHORT", ["supply_zone"], "manual",
    )  # fmt: skip
    assert cli("track", "--file", path, "--json").json()["signal_ids"][0].endswith("_2")


@pytest.mark.parametrize(
    ("bad_line", "named"),
    [
        ('{"symbol": "BTCUSDT", "side": ', "not valid JSON"),
        (json.dumps(file_signal(sl=52000)), "sl: must be below entry"),
        (json.dumps(file_signal(colour="red")), "colour: is not a signal field"),
        (json.dumps(file_signal(timeframe="7m")), "timeframe"),
        ("[1, 2, 3]", "signal: must be a mapping"),
    ],
)
def test_one_bad_line_stores_nothing_and_names_the_file_and_line(
    cli: Cli, tmp_path: Path, bad_line: str, named: str
) -> None:
    path = write_lines(tmp_path / "signals.jsonl", [file_signal(), bad_line, file_signal()])
    err = cli("track", "--file", path, code=2).err
    assert "Traceback" not in err
    assert f"{path}:2: " in err and named in err
    assert "nothing stored" in err
    assert cli.ids() == []


def test_every_bad_line_of_a_file_is_named_at_once(cli: Cli, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "signals.jsonl",
        [file_signal(), "{oops", file_signal(sl=60000), file_signal(), file_signal(colour="x")],
    )
    err = cli("track", "--file", path, code=2).err
    assert [f"{path}:{n}:" in err for n in (1, 2, 3, 4, 5)] == [False, True, True, False, True]
    assert cli.ids() == []


def test_an_empty_or_missing_file_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.jsonl", ["", "  "])
    assert "holds no signals" in one_error_line(cli("track", "--file", empty, code=2).err)
    missing = tmp_path / "missing.jsonl"
    assert one_error_line(cli("track", "--file", missing, code=2).err).startswith("error: --file:")


def test_file_cannot_be_combined_with_signal_options(cli: Cli, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "signals.jsonl", [file_signal()])
    line = one_error_line(cli("track", "--file", path, "--symbol", "ETHUSDT", code=2).err)
    assert "--file" in line and "--symbol" in line
    assert cli.ids() == []


@pytest.mark.parametrize(
    "option", [("--timeframe", "4h"), ("--strategy", "v2"), ("--receivers", "5"), ("--tp1", "1")]
)
def test_file_refuses_every_option_it_would_ignore(
    cli: Cli, tmp_path: Path, option: tuple[str, str]
) -> None:
    path = write_lines(tmp_path / "signals.jsonl", [file_signal()])
    assert option[0] in one_error_line(cli("track", "--file", path, *option, code=2).err)


def test_a_signal_id_repeated_with_other_content_in_a_file_names_the_line(
    cli: Cli, tmp_path: Path
) -> None:
    path = write_lines(
        tmp_path / "signals.jsonl",
        [file_signal(signal_id="a1"), file_signal(signal_id="a1", entry=50001)],
    )
    run = cli("track", "--file", path, code=None)
    assert cli.ids() == []  # all or nothing holds even today
    assert run.code == 2 and f"{path}:2:" in run.err


# --- list -----------------------------------------------------------------------------

START = datetime.fromisoformat("2026-01-01T00:00:00+07:00")
COUNT = 120


@pytest.fixture(scope="module")
def hundred_twenty(tmp_path_factory: pytest.TempPathFactory) -> str:
    """120 signals an hour apart from 1 January 2026 (Jakarta); 3 closed, 1 cancelled."""
    folder = tmp_path_factory.mktemp("list")
    url = f"sqlite:///{folder / 'x.db'}"
    lines = [
        file_signal(created_at=(START + timedelta(hours=i)).isoformat(), receivers=[i + 1])
        for i in range(COUNT)
    ]
    ids = run_quiet(url, "track", "--file", write_lines(folder / "s.jsonl", lines)).split()
    assert len(ids) == COUNT
    for signal_id in ids[:3]:
        run_quiet(url, "close", signal_id, "--result", "win", "--pnl", "1")
    run_quiet(url, "cancel", ids[3])
    return url


@pytest.fixture
def listed(hundred_twenty: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(hundred_twenty, capsys)


def test_list_without_limit_returns_every_signal_newest_first(listed: Cli) -> None:
    rows = listed("list", "--json").json()
    assert len(rows) == COUNT
    created = [datetime.fromisoformat(r["created_at"]) for r in rows]
    assert created == sorted(created, reverse=True)
    assert all(c.tzinfo is not None for c in created)


def test_list_limit_returns_the_newest(listed: Cli) -> None:
    assert listed.ids("--limit", "5") == [f"{n}_BTCUSDT_{1767200400 + 3600 * (n - 1)}"
                                          for n in range(120, 115, -1)]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "count"), [("active", 116), ("closed", 4), ("ACTIVE", 116), ("Closed", 4)]
)
def test_list_filters_by_status(listed: Cli, status: str, count: int) -> None:
    rows = listed("list", "--json", "--status", status).json()
    assert len(rows) == count
    assert {r["status"] for r in rows} == {status.upper()}


@pytest.mark.parametrize(
    ("since", "count"),
    [
        ("2026-01-05", 24),  # a date: local midnight, Jakarta
        ("2026-01-05T00:00:00", 24),
        ("2026-01-04T17:00:00+00:00", 24),  # the same instant, written in UTC
        ("2026-01-04T17:00:01+00:00", 23),
        ("2025-12-01", COUNT),
    ],
)
def test_list_since_counts_in_the_display_zone(listed: Cli, since: str, count: int) -> None:
    assert len(listed.ids("--since", since)) == count


def test_list_options_combine(listed: Cli) -> None:
    rows = listed("list", "--json", "--status", "closed", "--since", "2026-01-01T02:00:00",
                  "--limit", "2").json()  # fmt: skip
    assert [(r["signal_id"], r["result"]) for r in rows] == [
        ("4_BTCUSDT_1767211200", "CANCELLED"), ("3_BTCUSDT_1767207600", "WIN"),
    ]  # fmt: skip


def test_list_without_json_prints_a_table_and_the_count(listed: Cli) -> None:
    text = listed("list", "--status", "closed").out
    assert "3_BTCUSDT_1767207600" in text and "CANCELLED" in text
    assert text.rstrip().endswith("4 signal(s)")


# --- import-jsonl / export-jsonl ------------------------------------------------------

OLD = {"user_id": 123456, "symbol": "BTCUSDT", "timeframe": "15m", "signal_type": "LONG",
       "entry_price": 50000, "tp1": 51000, "tp2": 52000, "sl": 49000}  # fmt: skip
ETH = OLD | {"signal_id": "123456_ETHUSDT_1767844800", "symbol": "ETHUSDT",
             "signal_type": "SHORT", "entry_price": 3000, "tp1": 2900, "tp2": 2800, "sl": 3100,
             "timestamp": "2026-01-08T11:00:00", "status": "ACTIVE"}  # fmt: skip


@pytest.fixture
def old_files(tmp_path: Path) -> Path:
    """The old tracker's three files as it wrote them: naive Jakarta times, one broken line."""
    folder = tmp_path / "signal_logs"
    folder.mkdir()
    btc = OLD | {"signal_id": "123456_BTCUSDT_1767841200", "timestamp": "2026-01-08T10:00:00",
                 "status": "ACTIVE"}  # fmt: skip
    write_lines(folder / "active_signals.jsonl", [btc, ETH, '{"signal_id": "123456_BR'])
    done = ETH | {"status": "CLOSED", "result": "WIN", "pnl_percent": 3.3,
                  "closed_at": "2026-01-08T15:00:00"}  # fmt: skip
    write_lines(folder / "completed_signals.jsonl", [done])
    write_lines(
        folder / "prompts_2026-01-08.jsonl",
        [{"timestamp": "2026-01-08T09:00:00", "user_id": 123456, "username": "budi",
          "command": "/winrate", "symbol": None, "timeframe": None}],
    )  # fmt: skip
    return folder


def test_import_keeps_old_ids_reads_naive_times_in_jakarta_and_names_broken_lines(
    cli: Cli, old_files: Path
) -> None:
    run = cli("import-jsonl", old_files)
    assert "2 signal(s) added" in run.out and "1 command(s) added" in run.out
    assert f"{old_files / 'active_signals.jsonl'}:3: not valid JSON" in run.err
    rows = {r["signal_id"]: r for r in cli("list", "--json").json()}
    assert sorted(rows) == ["123456_BTCUSDT_1767841200", "123456_ETHUSDT_1767844800"]
    btc, eth = rows["123456_BTCUSDT_1767841200"], rows["123456_ETHUSDT_1767844800"]
    assert (btc["created_at"], btc["status"], btc["user_id"]) == (
        "2026-01-08T10:00:00+07:00", "ACTIVE", 123456,
    )  # fmt: skip
    assert (eth["result"], eth["pnl_pct"], eth["closed_at"]) == (
        "WIN", 3.3, "2026-01-08T15:00:00+07:00",
    )  # fmt: skip


def test_importing_the_same_files_twice_adds_nothing(cli: Cli, old_files: Path) -> None:
    cli("import-jsonl", old_files)
    report = cli("import-jsonl", old_files / "active_signals.jsonl",
                 old_files / "completed_signals.jsonl", "--json").json()  # fmt: skip
    assert (report["added"], report["unchanged"]) == (0, 2)
    (problem,) = report["problems"]
    assert problem.startswith(f"{old_files / 'active_signals.jsonl'}:3: not valid JSON")
    assert len(cli.ids()) == 2


def test_import_tz_reads_naive_times_in_another_zone_and_honours_aware_ones(
    cli: Cli, tmp_path: Path
) -> None:
    write_lines(
        tmp_path / "active_signals.jsonl",
        [OLD | {"signal_id": "1_A", "timestamp": "2026-01-08T10:00:00"},
         OLD | {"signal_id": "1_B", "timestamp": "2026-01-08T10:00:00+09:00"}],
    )  # fmt: skip
    cli("import-jsonl", tmp_path / "active_signals.jsonl", "--tz", "UTC")
    created = {r["signal_id"]: r["created_at"] for r in cli("list", "--json").json()}
    assert created == {"1_A": "2026-01-08T17:00:00+07:00", "1_B": "2026-01-08T08:00:00+07:00"}


def test_export_writes_the_old_files_with_naive_local_times(
    cli: Cli, old_files: Path, tmp_path: Path
) -> None:
    cli("import-jsonl", old_files)
    out = tmp_path / "exported"
    cli("export-jsonl", out)
    assert sorted(p.name for p in out.iterdir()) == [
        "active_signals.jsonl", "completed_signals.jsonl", "prompts_2026-01-08.jsonl",
    ]  # fmt: skip
    (active,) = [json.loads(x) for x in (out / "active_signals.jsonl").read_text().splitlines()]
    (done,) = [json.loads(x) for x in (out / "completed_signals.jsonl").read_text().splitlines()]
    assert set(OLD) | {"signal_id", "timestamp", "status"} <= set(active)
    assert (active["timestamp"], active["status"]) == ("2026-01-08T10:00:00", "ACTIVE")
    assert (done["result"], done["pnl_percent"], done["closed_at"]) == (
        "WIN", 3.3, "2026-01-08T15:00:00",
    )  # fmt: skip
    prompt = json.loads((out / "prompts_2026-01-08.jsonl").read_text())
    assert (prompt["command"], prompt["username"], prompt["timestamp"]) == (
        "/winrate", "budi", "2026-01-08T09:00:00",
    )  # fmt: skip
    cli("export-jsonl", out, "--aware")
    aware = json.loads((out / "active_signals.jsonl").read_text())
    assert aware["timestamp"] == "2026-01-08T10:00:00+07:00"


def test_import_export_import_gives_the_same_store(
    cli: Cli, old_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("import-jsonl", old_files)
    signal_id = cli("track", "--file", write_lines(tmp_path / "s.jsonl", [
        file_signal(confidence=81, reasons=["Momentum"], receivers=[5, 6], tp3=53000),
    ])).out.strip()  # fmt: skip
    cli("close", signal_id, "--result", "loss", "--pnl", "-2")
    cli("export-jsonl", tmp_path / "round")
    again = Cli(f"sqlite:///{tmp_path / 'again.db'}", capsys)
    again("import-jsonl", tmp_path / "round")
    assert again("list", "--json").json() == cli("list", "--json").json()


def test_exporting_into_a_path_that_is_a_file_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("keep me\n", encoding="utf-8")
    line = one_error_line(cli("export-jsonl", target, code=2).err)
    assert str(target) in line
    assert target.read_text(encoding="utf-8") == "keep me\n"
