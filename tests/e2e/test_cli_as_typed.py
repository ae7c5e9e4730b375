"""The CLI as people type it: global options anywhere, one `--tz`, `--json`, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from e2e_support import Cli, one_error_line, write_lines
from test_cli_process import TRACK, sigtrack
from typer.core import TyperGroup

from sigtrack.cli import app, main
from sigtrack.cli.app import GLOBAL_PANEL, GlobalOptionsGroup

GLOBAL = ["--db", "--tz", "--lang", "--config", "--verbose"]
SIGNAL_ID = "1_BTCUSDT_1767841200"  # TRACK: 2026-01-08 10:00 Asia/Jakarta
AS_OF = ["--as-of", "2026-01-13T09:00:00"]  # the week of TRACK is complete
OLD = {"signal_id": "1_A", "user_id": 1, "symbol": "BTCUSDT", "timeframe": "15m",
       "signal_type": "LONG", "entry_price": 50000, "tp1": 51000, "tp2": 52000, "sl": 49000,
       "timestamp": "2026-01-08T10:00:00", "status": "ACTIVE"}  # fmt: skip


def created_at(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    capsys.readouterr()
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    (row,) = json.loads(capsys.readouterr().out)
    return str(row["created_at"])


def every_command() -> list[list[str]]:
    """The words that call every command and group under the root ("report", "report weekly")."""
    found: list[list[str]] = []

    def walk(group: TyperGroup, words: list[str]) -> None:
        for name, command in group.commands.items():
            found.append([*words, name])
            if isinstance(command, TyperGroup):
                walk(command, [*words, name])

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    walk(root, [])
    return found


# Global options before, after, and between a group and its command


@pytest.mark.parametrize(
    "args",
    [
        ["--db", "{url}", "list", "--json"],
        ["list", "--db", "{url}", "--json"],
        ["list", "--json", "--db", "{url}"],
        ["--db", "sqlite:///{tmp}/other.db", "list", "--db", "{url}", "--json"],
    ],
)
def test_the_database_can_be_named_before_or_after_the_command_and_the_later_one_wins(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    cli(*TRACK)
    capsys.readouterr()
    filled = [a.format(url=cli.db_url, tmp=tmp_path) for a in args]
    assert main(filled) == 0, capsys.readouterr().err
    assert [row["signal_id"] for row in json.loads(capsys.readouterr().out)] == [SIGNAL_ID]
    assert not (tmp_path / "other.db").exists()  # the earlier --db was never opened


def test_the_database_after_the_command_is_used_on_every_backend(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*TRACK, "--db", db_url]) == 0, capsys.readouterr().err
    assert created_at(capsys, "list", "--json", "--db", db_url) == "2026-01-08T10:00:00+07:00"
    assert main(["cancel", SIGNAL_ID, "--db", db_url, "--json"]) == 0
    assert main(["show", "NOPE", "--db", db_url]) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--db", "{url}", "report", "weekly", "--json", *AS_OF],
        ["report", "--db", "{url}", "weekly", "--json", *AS_OF],
        ["report", "weekly", "--db", "{url}", "--json", *AS_OF],
    ],
)
def test_report_weekly_takes_the_database_before_between_or_after_its_two_words(
    cli: Cli, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    cli(*TRACK)
    capsys.readouterr()
    assert main([a.format(url=cli.db_url) for a in args]) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["week"] == "2026-W02"


def test_the_display_zone_given_after_the_command_wins_over_the_one_before(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(*TRACK)
    url = cli.db_url
    assert created_at(capsys, "--db", url, "list", "--json") == "2026-01-08T10:00:00+07:00"
    assert created_at(capsys, "list", "--db", url, "--tz", "UTC", "--json") == (
        "2026-01-08T03:00:00+00:00"
    )
    assert created_at(capsys, "--tz", "UTC", "list", "--db", url, "--tz", "Asia/Kolkata",
                      "--json") == "2026-01-08T08:30:00+05:30"  # fmt: skip


def test_a_time_typed_after_the_command_is_read_in_the_zone_typed_after_it_too(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(*TRACK[:-2], "--at", "2026-01-08T10:00:00", "--tz", "UTC")
    assert created_at(capsys, "--db", cli.db_url, "list", "--tz", "UTC", "--json") == (
        "2026-01-08T10:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (["winrate", "--lang", "en"], True),
        (["--lang", "en", "winrate"], True),
        (["--lang", "en", "winrate", "--lang", "id"], False),
        (["--lang", "id", "winrate", "--lang", "en"], True),
        (["report", "--lang", "en", "weekly", *AS_OF], True),
        (["report", "weekly", "--lang", "en", *AS_OF], True),
        (["--lang", "en", "report", "weekly", "--lang", "id", *AS_OF], False),
    ],
)
def test_lang_means_one_thing_wherever_it_is_typed_and_the_later_one_wins(
    cli: Cli, args: list[str], english: bool
) -> None:
    cli(*TRACK)
    shown = cli(*args).out
    assert ("SIGNAL WINRATE" in shown or "WEEKLY SIGNAL REPORT" in shown) is english
    assert ("WINRATE SIGNAL" in shown or "LAPORAN MINGGUAN" in shown) is not english


def test_a_settings_file_can_be_named_after_the_command(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli(*TRACK)
    settings = tmp_path / "sigtrack.toml"
    settings.write_text('display_tz = "UTC"\n', encoding="utf-8")
    assert created_at(capsys, "list", "--db", cli.db_url, "--config", settings, "--json") == (
        "2026-01-08T03:00:00+00:00"
    )


@pytest.mark.parametrize("words", every_command(), ids=" ".join)
def test_the_help_of_every_command_lists_the_global_options(
    capsys: pytest.CaptureFixture[str], words: list[str]
) -> None:
    assert main([*words, "--help"]) == 0
    shown = capsys.readouterr().out
    assert [name for name in GLOBAL if name not in shown] == []
    assert "Global options" in shown and "the later wins" in shown


def test_a_command_may_not_give_a_global_option_a_meaning_of_its_own() -> None:
    broken = typer.Typer(cls=GlobalOptionsGroup)

    @broken.callback()
    def _root(
        tz: str | None = typer.Option(None, "--tz", rich_help_panel=GLOBAL_PANEL),
    ) -> None: ...

    @broken.command()
    def files(tz: str | None = typer.Option(None, "--tz")) -> None: ...

    @broken.command()
    def other() -> None: ...

    with pytest.raises(TypeError, match="--tz clashes with a global option"):
        typer.main.get_command(broken)


# --tz is the display zone everywhere; the old files' zone is --files-tz


def test_import_reads_naive_times_of_the_old_files_in_files_tz_not_in_the_display_zone(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = write_lines(tmp_path / "active_signals.jsonl", [OLD])
    cli("import-jsonl", old, "--files-tz", "UTC", "--tz", "Asia/Kolkata")
    assert created_at(capsys, "--db", cli.db_url, "list", "--json") == ("2026-01-08T17:00:00+07:00")


@pytest.mark.parametrize("args", [["--tz", "UTC", "import-jsonl", "{old}"],
                                  ["import-jsonl", "{old}", "--tz", "UTC"]])  # fmt: skip
def test_without_files_tz_naive_times_are_read_in_the_display_zone(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    old = write_lines(tmp_path / "active_signals.jsonl", [OLD])
    cli(*(a.format(old=old) for a in args))
    assert created_at(capsys, "--db", cli.db_url, "list", "--json") == ("2026-01-08T17:00:00+07:00")


def test_export_writes_naive_times_in_files_tz_and_otherwise_in_the_display_zone(
    cli: Cli, tmp_path: Path
) -> None:
    cli(*TRACK)

    def written(*args: object) -> str:
        folder = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        cli("export-jsonl", folder, *args)
        line = (folder / "active_signals.jsonl").read_text(encoding="utf-8")
        return str(json.loads(line)["timestamp"])

    assert written() == "2026-01-08T10:00:00"
    assert written("--files-tz", "UTC") == "2026-01-08T03:00:00"
    assert written("--tz", "UTC") == "2026-01-08T03:00:00"
    assert written("--tz", "UTC", "--files-tz", "Asia/Kolkata") == "2026-01-08T08:30:00"


# Every read command has --json


def test_report_weekly_json_is_the_same_as_format_json(cli: Cli) -> None:
    cli(*TRACK)
    as_json = cli("report", "weekly", "--json", *AS_OF).json()
    assert as_json == cli("report", "weekly", "--format", "json", *AS_OF).json()
    assert as_json["week"] == "2026-W02"


def test_report_weekly_refuses_json_together_with_another_format(cli: Cli) -> None:
    line = one_error_line(cli("report", "weekly", "--json", "--format", "html", code=2).err)
    assert line.startswith("error: --json: ") and "'html'" in line


@pytest.mark.parametrize(
    "args",
    [["show", SIGNAL_ID], ["list"], ["winrate"], ["stats"], ["advise"],
     ["compare", "--a", "side=LONG", "--b", "side=SHORT"], ["report", "weekly", *AS_OF]],
)  # fmt: skip
def test_every_read_command_prints_json_with_json(cli: Cli, args: list[str]) -> None:
    cli(*TRACK)
    assert cli(*args, "--json").json() is not None


# Exit codes: 0 ok, 2 bad input naming the field and the value, 1 otherwise


@pytest.mark.parametrize(
    "args",
    [["show", "NOPE"], ["close", "NOPE", "--result", "win"], ["cancel", "NOPE"],
     ["close", "NOPE", "--result", "loss", "--override"]],
)  # fmt: skip
def test_an_unknown_signal_id_is_bad_input(cli: Cli, args: list[str]) -> None:
    line = one_error_line(cli(*args, code=2).err)
    assert line == "error: signal_id: no signal with id 'NOPE'"


@pytest.mark.parametrize(
    ("args", "field", "value"),
    [
        (["list", "--tz", "Mars/Base"], "--tz", "'Mars/Base'"),
        (["list", "--lang", "xx"], "--lang", "'xx'"),
        (["stats", "--lang", "xx"], "--lang", "'xx'"),
        (["list", "--config", "no/such.toml"], "--config", "'no/such.toml'"),
        (["list", "--db", ""], "--db", "''"),
        (["--db", " ", "list"], "--db", "' '"),
        (["list", "--tz", ""], "--tz", "''"),
        (["import-jsonl", ".", "--files-tz", "Mars/Base"], "--files-tz", "'Mars/Base'"),
        (["export-jsonl", "out", "--files-tz", "Mars/Base"], "--files-tz", "'Mars/Base'"),
        (["stats", "--by", "colour"], "--by", "'colour'"),
        (["stats", "--min-n", "many"], "--min-n", "'many'"),
        (["compare", "--a", "colour=red", "--b", "side=LONG"], "--a", "colour"),
        (["advise", "--filter", "colour"], "--filter", "'colour'"),
        (["whatif", "--unit", "bananas"], "--unit", "'bananas'"),
        (["whatif", "--targets", "1,x"], "--targets", "x"),
        (["report", "weekly", "--week", "W47"], "--week", "'W47'"),
        (["report", "weekly", "--format", "pdf"], "--format", "'pdf'"),
        (["export", "--out", "x.xlsx", "--format", "xlsx"], "--format", "'xlsx'"),
        (["resolve", "--candles", "no/such/dir"], "--candles", "'no/such/dir'"),
        (["resolve", "--as-of", "soon"], "--as-of", "'soon'"),
        (["monitor", "--every", "0"], "--every", "'0'"),
        (["monitor", "--passes", "0"], "--passes", "'0'"),
        (["track", "--file", "no/such.jsonl"], "--file", "'no/such.jsonl'"),
        (["cancel", "bad id!"], "signal_id", "'bad id!'"),
        ([*TRACK, "--sl", "52000"], "--sl", "sl=52000"),
        (["close", "NOPE", "--result", "expired"], "--result", "'expired'"),
        (["list", "--status", "open-ish"], "--status", "'open-ish'"),
        (["list", "--limit", "0"], "--limit", "0"),
        (["winrate", "--days", "0"], "--days", "0"),
    ],
)
def test_bad_input_to_any_command_exits_2_naming_the_option_as_typed_and_the_value(
    cli: Cli, args: list[str], field: str, value: str
) -> None:
    line = one_error_line(cli(*args, code=2).err)
    named, why = line.removeprefix("error: ").split(": ", 1)
    assert (named, value in why) == (field, True), line


def test_an_output_file_that_cannot_be_written_is_bad_input_naming_it(
    cli: Cli, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    for args in (["export", "--out", blocker / "x.csv", "--format", "csv"],
                 ["report", "weekly", "--out", blocker / "x.html", *AS_OF]):  # fmt: skip
        line = one_error_line(cli(*args, code=2).err)
        assert line.startswith(f"error: --out: cannot write {blocker / 'x.'}"), line


def test_a_file_that_cannot_be_written_elsewhere_fails_with_one_line_and_exit_1(
    cli: Cli, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    line = one_error_line(cli("demo", "--dir", blocker / "demo", code=1).err)
    assert str(blocker) in line


# The installed console script


def test_the_console_script_takes_global_options_after_the_command(tmp_path: Path) -> None:
    """`sigtrack(…)` puts a `--db` first; a later `--db` must win over it."""
    other = f"sqlite:///{tmp_path / 'y.db'}"
    assert sigtrack(tmp_path, *TRACK, "--db", other).returncode == 0
    listed = sigtrack(tmp_path, "list", "--json", "--db", other, "--tz", "UTC")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["signal_id"], row["created_at"]) == (SIGNAL_ID, "2026-01-08T03:00:00+00:00")
    assert json.loads(sigtrack(tmp_path, "list", "--json").stdout) == []


def test_the_console_script_exits_2_on_an_unknown_signal_id(tmp_path: Path) -> None:
    done = sigtrack(tmp_path, "show", "NOPE")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "error: signal_id: no signal with id 'NOPE'\n"


def test_the_console_script_logs_with_verbose_after_the_command(tmp_path: Path) -> None:
    (tmp_path / "quiet").mkdir()
    quiet = sigtrack(tmp_path / "quiet", "init")
    loud = sigtrack(tmp_path, "init", "--verbose")
    assert (quiet.returncode, loud.returncode) == (0, 0)
    assert "INFO" not in quiet.stderr and "INFO sigtrack" in loud.stderr
