"""`sigtrack init | track | close | cancel | show`, and the exit codes, driven in-process."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from e2e_support import Cli, one_error_line

RECORD_KEYS = {
    "signal_id", "symbol", "side", "timeframe", "entry", "tp1", "tp2", "sl", "status", "result",
    "pnl_pct", "created_at", "closed_at",
}  # fmt: skip
BTC = ("--symbol", "BTCUSDT", "--side", "LONG", "--timeframe", "15m",
       "--entry", "50000", "--tp1", "51000", "--tp2", "52000", "--sl", "49000")  # fmt: skip


def track_one(cli: Cli, *extra: object) -> str:
    """Track the BTC signal (options may be repeated: the last one wins) and return its id."""
    return cli("track", *BTC, "--at", "2026-01-08T10:00:00+07:00", *extra).out.strip()


def is_aware(text: str | None) -> bool:
    return text is not None and datetime.fromisoformat(text).tzinfo is not None


# --- init -----------------------------------------------------------------------------


def test_init_creates_the_sqlite_store_and_can_be_repeated(cli: Cli, tmp_path: Path) -> None:
    first = cli("init")
    assert (tmp_path / "x.db").is_file()
    assert first.out.startswith("ready: sqlite:///")
    cli("init")
    assert cli.ids() == []


def test_init_never_writes_to_the_working_directory(cli: Cli) -> None:
    cli("init")
    track_one(cli)
    assert list(Path.cwd().iterdir()) == []


def test_init_rebuild_rollups_recounts_rows_changed_in_sql(cli: Cli) -> None:
    for day in (3, 4, 5):
        signal_id = track_one(cli, "--at", f"2026-01-0{day}T10:00:00+07:00")
        cli("close", signal_id, "--result", "win", "--pnl", "2")
    window = ("stats", "--by", "side", "--since", "2026-01-01", "--until", "2026-01-08", "--json")
    assert cli(*window).json()["rows"][0]["wins"] == 3  # read once: the days are counted
    with sqlite3.connect(cli.db_url.removeprefix("sqlite:///")) as conn:  # outside sigtrack
        conn.execute("UPDATE signals SET result = 'LOSS', pnl_pct = -1")
    assert cli(*window).json()["rows"][0]["wins"] == 3  # SQL writes do not mark their days
    assert cli("init", "--rebuild-rollups").out.startswith("rollups recounted: 3 day(s)")
    row = cli(*window).json()["rows"][0]
    assert (row["wins"], row["losses"], row["avg_pnl_pct"]) == (0, 3, -1)


# --- track ----------------------------------------------------------------------------


def test_track_normalises_the_symbol_and_accepts_buy_for_long(cli: Cli) -> None:
    signal_id = cli(
        "track", "--symbol", "BTC/USDT", "--side", "BUY", "--timeframe", "15m", "--entry", "50000",
        "--tp1", "51000", "--sl", "49000", "--at", "2026-01-08T10:00:00+07:00",
    ).out.strip()  # fmt: skip
    shown = cli("show", signal_id, "--json").json()
    assert (shown["symbol"], shown["side"], shown["tp2"]) == ("BTCUSDT", "LONG", None)
    assert signal_id == f"0_BTCUSDT_{int(datetime.fromisoformat(shown['created_at']).timestamp())}"


def test_repeated_reasons_become_tags_and_the_first_receiver_starts_the_id(cli: Cli) -> None:
    signal_id = track_one(
        cli, "--reason", "Near demand zone", "--reason", "Momentum building",
        "--receivers", "1,2,3", "--confidence", "82", "--strategy", "v2",
    )  # fmt: skip
    assert signal_id.startswith("1_BTCUSDT_")
    shown = cli("show", signal_id, "--json").json()
    assert shown["reasons"] == ["Near demand zone", "Momentum building"]
    assert shown["tags"] == ["demand_zone", "momentum"]
    assert (shown["receivers"], shown["user_id"]) == ([1, 2, 3], 1)
    assert (shown["confidence"], shown["strategy"], shown["source"]) == (82, "v2", "manual")


def test_at_without_an_offset_is_read_in_jakarta_time(cli: Cli) -> None:
    signal_id = cli("track", *BTC, "--at", "2026-01-08T10:00:00").out.strip()
    shown = cli("show", signal_id, "--json").json()
    assert shown["created_at"] == "2026-01-08T10:00:00+07:00"
    assert signal_id == "0_BTCUSDT_1767841200"  # 03:00 UTC


def test_at_with_an_offset_is_honoured_and_shown_in_the_display_zone(cli: Cli) -> None:
    signal_id = cli("track", *BTC, "--at", "2026-01-08T03:00:00+00:00").out.strip()
    assert cli("show", signal_id, "--json").json()["created_at"] == "2026-01-08T10:00:00+07:00"
    shown_utc = cli("--tz", "UTC", "show", signal_id, "--json").json()
    assert shown_utc["created_at"] == "2026-01-08T03:00:00+00:00"


def test_track_without_at_is_stamped_now_with_an_offset(cli: Cli) -> None:
    signal_id = cli("track", *BTC).out.strip()
    created = datetime.fromisoformat(cli("show", signal_id, "--json").json()["created_at"])
    assert created.utcoffset() is not None
    assert abs((datetime.now(created.tzinfo) - created).total_seconds()) < 60


def test_track_json_prints_the_ids(cli: Cli) -> None:
    ids = cli("track", *BTC, "--at", "2026-01-08T10:00:00+07:00", "--json").json()["signal_ids"]
    assert ids == ["0_BTCUSDT_1767841200"]


def test_a_second_signal_in_the_same_second_gets_a_suffix_not_an_overwrite(cli: Cli) -> None:
    first, second = track_one(cli), track_one(cli)
    assert second == f"{first}_2"
    assert sorted(cli.ids()) == [first, second]


# --- close, cancel, show --------------------------------------------------------------


def test_show_json_has_every_field_with_times_carrying_an_offset(cli: Cli) -> None:
    signal_id = track_one(cli)
    opened = cli("show", signal_id, "--json").json()
    assert set(opened) >= RECORD_KEYS
    assert (opened["status"], opened["result"], opened["closed_at"]) == ("ACTIVE", None, None)
    assert is_aware(opened["created_at"])
    assert [e["kind"] for e in opened["events"]] == ["created"]
    cli("close", signal_id, "--result", "win", "--pnl", "2.5")
    closed = cli("show", signal_id, "--json").json()
    assert (closed["status"], closed["result"], closed["pnl_pct"]) == ("CLOSED", "WIN", 2.5)
    assert is_aware(closed["closed_at"])
    assert all(is_aware(e["at"]) for e in closed["events"])


@pytest.mark.parametrize(
    ("options", "result", "pnl"),
    [
        (("--result", "win", "--pnl", "2.5"), "WIN", 2.5),
        (("--result", "loss", "--pnl", "-1.8"), "LOSS", -1.8),
        (("--result", "LOSS"), "LOSS", None),
        (("--result", "breakeven"), "BREAKEVEN", None),
    ],
)
def test_close_records_the_result_by_hand(
    cli: Cli, options: tuple[str, ...], result: str, pnl: float | None
) -> None:
    signal_id = track_one(cli)
    assert cli("close", signal_id, *options).out.strip() == f"{signal_id}: {result}"
    shown = cli("show", signal_id, "--json").json()
    assert (shown["result"], shown["pnl_pct"], shown["exit_reason"]) == (result, pnl, "MANUAL")


def test_closing_twice_fails_and_suggests_override_which_keeps_the_history(cli: Cli) -> None:
    signal_id = track_one(cli)
    cli("close", signal_id, "--result", "win", "--pnl", "2.5")
    again = cli("close", signal_id, "--result", "loss", code=1)
    assert "--override" in one_error_line(again.err)
    assert cli("show", signal_id, "--json").json()["result"] == "WIN"
    cli("close", signal_id, "--result", "loss", "--pnl", "-1", "--override",
        "--actor", "admin", "--note", "stop was hit first")  # fmt: skip
    shown = cli("show", signal_id, "--json").json()
    assert (shown["result"], shown["pnl_pct"]) == ("LOSS", -1.0)
    assert [e["kind"] for e in shown["events"]] == ["created", "closed", "refused", "override"]
    override = shown["events"][-1]
    assert (override["actor"], override["note"]) == ("admin", "stop was hit first")
    assert (override["data"]["old_result"], override["data"]["result"]) == ("WIN", "LOSS")


def test_close_json_prints_the_closed_record(cli: Cli) -> None:
    signal_id = track_one(cli)
    closed = cli("close", signal_id, "--result", "win", "--pnl", "3", "--json").json()
    assert (closed["signal_id"], closed["result"], closed["pnl_pct"]) == (signal_id, "WIN", 3.0)


def test_cancel_closes_as_cancelled_and_cannot_be_repeated(cli: Cli) -> None:
    signal_id = track_one(cli)
    assert cli("cancel", signal_id, "--note", "sent by mistake").out.strip().endswith("CANCELLED")
    shown = cli("show", signal_id, "--json").json()
    assert (shown["status"], shown["result"]) == ("CLOSED", "CANCELLED")
    assert shown["events"][-1]["kind"] == "cancelled"
    assert "already closed" in one_error_line(cli("cancel", signal_id, code=1).err)


def test_show_without_json_prints_the_fields_and_the_history(cli: Cli) -> None:
    signal_id = track_one(cli)
    cli("close", signal_id, "--result", "win")
    text = cli("show", signal_id).out
    assert signal_id in text and "BTCUSDT" in text and "WIN" in text
    assert "history:" in text and "closed" in text


@pytest.mark.parametrize("command", ["show", "cancel", "close"])
def test_an_unknown_signal_id_is_bad_input_exiting_2_naming_the_id(cli: Cli, command: str) -> None:
    extra = ("--result", "win") if command == "close" else ()
    run = cli(command, "0_BTCUSDT_1", *extra, code=2)
    assert "0_BTCUSDT_1" in one_error_line(run.err)


# --- bad input: exit 2, one line naming the field and the value, nothing stored ------


BAD_INPUT = [
    (("track", *BTC, "--side", "UP"), "side", "'UP'"),
    (("track", *BTC, "--timeframe", "7m"), "timeframe", "'7m'"),
    (("track", *BTC, "--sl", "52000"), "sl", "52000"),
    (("track", *BTC, "--tp2", "50500"), "tp2", "50500"),
    (("track", *BTC, "--entry", "-5"), "entry", "-5"),
    (("track", *BTC, "--confidence", "150"), "confidence", "150"),
    (("track", *BTC, "--receivers", "1,abc"), "receivers", "'abc'"),
    (("track", *BTC, "--symbol", "B"), "symbol", "'B'"),
    (("track", *BTC, "--at", "not-a-time"), "--at", "'not-a-time'"),
    (("track", *BTC, "--at", "2999-01-01T00:00:00+00:00"), "created_at", "2999-01-01"),
    (("close", "0_BTCUSDT_1", "--result", "expired"), "result", "'expired'"),
    (("close", "0_BTCUSDT_1", "--result", "win", "--pnl", "nan"), "--pnl", "nan"),
    (("close", "bad id!", "--result", "win"), "signal_id", "'bad id!'"),
    (("list", "--status", "open-ish"), "status", "'open-ish'"),
    (("list", "--limit", "0"), "limit", "0"),
    (("list", "--since", "yesterday"), "--since", "'yesterday'"),
    (("winrate", "--days", "0"), "days", "0"),
    (("winrate", "--days", "36501"), "days", "36501"),
    (("--tz", "Mars/Base", "winrate"), "tz", "'Mars/Base'"),
    (("--lang", "xx", "winrate"), "lang", "'xx'"),
    (("winrate", "--lang", "xx"), "lang", "'xx'"),
    (("winrate", "--as-of", "someday"), "--as-of", "'someday'"),
    (("import-jsonl", "no/such/file.jsonl"), "paths", "no/such/file.jsonl"),
]


@pytest.mark.parametrize(("args", "field", "value"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line_naming_the_field_and_the_value(
    cli: Cli, args: tuple[str, ...], field: str, value: str
) -> None:
    line = one_error_line(cli(*args, code=2).err)
    match = re.fullmatch(r"error: (\S+): .*\(got (.*)\).*", line)
    assert match, line
    assert field in match.group(1)
    assert value in match.group(2)
    assert cli.ids() == []


def test_a_missing_required_option_names_the_option(cli: Cli) -> None:
    run = cli("track", "--symbol", "BTCUSDT", "--timeframe", "15m", code=2)
    assert one_error_line(run.err).startswith("error: --side: is required")


def test_a_database_url_that_is_not_one_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert Cli("nonsense", capsys)("list", code=2).err.startswith("error: database_url: ")


def test_an_unreachable_database_exits_1_without_a_traceback_or_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = Cli("postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none", capsys)("list", code=1)
    assert run.err.startswith("error: ")
    assert "Traceback" not in run.err and "s3cret" not in run.err


# Typer ≥ 0.2x vendors click as `typer._click`: its usage errors are not `click` exceptions.


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("list", "--limit", "abc"), "abc"),
        (("close", "0_BTCUSDT_1"), "result"),
        (("list", "--bogus"), "--bogus"),
        (("no-such-command",), "no-such-command"),
    ],
)
def test_a_usage_error_exits_2_naming_what_was_wrong(
    cli: Cli, args: tuple[str, ...], named: str
) -> None:
    run = cli(*args, code=2)
    assert named in run.err and "Traceback" not in run.err


# --- the same on PostgreSQL -----------------------------------------------------------


@pytest.mark.postgres
def test_track_close_and_show_work_the_same_on_postgresql(pg_cli: Cli) -> None:
    pg_cli("init")
    signal_id = track_one(pg_cli, "--receivers", "42")
    pg_cli("close", signal_id, "--result", "win", "--pnl", "2.5")
    pg_cli("close", signal_id, "--result", "loss", "--pnl", "-1", "--override")
    shown = pg_cli("show", signal_id, "--json").json()
    assert signal_id == "42_BTCUSDT_1767841200"
    assert shown["created_at"] == "2026-01-08T10:00:00+07:00"
    assert (shown["result"], shown["pnl_pct"]) == ("LOSS", -1.0)
    assert [e["kind"] for e in shown["events"]] == ["created", "closed", "override"]
    assert pg_cli.ids("--status", "closed") == [signal_id]
