"""`sigtrack stats`: breakdown rows as a table and as the JSON contract of issue 4."""

from __future__ import annotations

from pathlib import Path

from e2e_support import Cli, file_signal, one_error_line, write_lines

ROW_KEYS = {"key", "n", "wins", "losses", "winrate_pct", "winrate_interval_pct",
            "avg_pnl_pct", "expectancy_r"}  # fmt: skip


def seed(cli: Cli, tmp_path: Path) -> None:
    lines = [
        file_signal(symbol=symbol, created_at=f"2026-01-{day:02d}T10:00:00+07:00")
        for day, symbol in [(5, "BTCUSDT"), (6, "BTCUSDT"), (7, "BTCUSDT"), (8, "ETHUSDT")]
    ]
    ids = cli("track", "--file", write_lines(tmp_path / "s.jsonl", lines)).out.split()
    for signal_id, result, pnl in zip(ids, ["win", "win", "loss", "loss"], ["2", "1", "-1", "-1"],
                                      strict=True):  # fmt: skip
        cli("close", signal_id, "--result", result, "--pnl", pnl)


def test_stats_json_gives_one_row_per_symbol_with_the_contract_fields(
    cli: Cli, tmp_path: Path
) -> None:
    seed(cli, tmp_path)
    data = cli("stats", "--by", "symbol", "--since", "2026-01-01", "--until", "2026-02-01",
               "--json").json()  # fmt: skip
    assert data["by"] == "symbol" and data["min_n"] == 5
    rows = {row["key"]: row for row in data["rows"]}
    assert set(rows) == {"BTCUSDT", "ETHUSDT"}
    assert set(rows["BTCUSDT"]) >= ROW_KEYS
    btc = rows["BTCUSDT"]
    assert (btc["n"], btc["wins"], btc["losses"]) == (3, 2, 1)
    assert abs(btc["winrate_pct"] - 200 / 3) < 1e-9
    assert btc["avg_pnl_pct"] == 2 / 3 and btc["too_few"] is True
    assert data["best"] == [] and data["worst"] == []  # nobody has five decided signals
    ranked = cli("stats", "--since", "2026-01-01", "--until", "2026-02-01", "--min-n", "1",
                 "--json").json()  # fmt: skip
    assert ranked["best"][0] == "BTCUSDT" and ranked["worst"][0] == "ETHUSDT"


def test_the_table_marks_small_rows_in_the_chosen_language(cli: Cli, tmp_path: Path) -> None:
    seed(cli, tmp_path)
    window = ("--since", "2026-01-01", "--until", "2026-02-01")
    indonesian = cli("stats", *window).out
    assert "PERFORMA PER SYMBOL" in indonesian and "terlalu sedikit" in indonesian
    english = cli("stats", *window, "--lang", "en", "--by", "side").out
    assert "PERFORMANCE BY SIDE" in english and "LONG" in english and "too few" in english


def test_an_unknown_breakdown_key_is_named(cli: Cli) -> None:
    run = cli("stats", "--by", "coin", code=2)
    assert "by: must be one of symbol" in one_error_line(run.err)


def test_compare_json_gives_both_sides_the_test_and_a_verdict(cli: Cli, tmp_path: Path) -> None:
    seed(cli, tmp_path)
    data = cli("compare", "--a", "symbol=ETHUSDT", "--b", "symbol=BTCUSDT", "--json").json()
    assert {"a", "b", "winrate_diff_pct", "fisher_p", "pnl_diff_interval", "verdict"} <= set(data)
    assert (data["a"]["wins"], data["a"]["losses"]) == (0, 1)
    assert (data["b"]["wins"], data["b"]["losses"]) == (2, 1)
    assert abs(data["fisher_p"] - 1.0) < 1e-12  # scipy: fisher_exact([[0, 1], [2, 1]]) = 1.0
    assert data["verdict"].startswith("not enough data")


def test_compare_prints_a_plain_verdict_in_indonesian(cli: Cli, tmp_path: Path) -> None:
    seed(cli, tmp_path)
    text = cli("compare", "--a", "until=2026-01-07", "--b", "since=2026-01-07").out
    assert "PERBANDINGAN A vs B" in text and "Kesimpulan: data belum cukup" in text


def test_a_bad_filter_names_the_option_and_value(cli: Cli) -> None:
    run = cli("compare", "--a", "colour=red", "--b", "strategy=v2", code=2)
    assert "--a: unknown key 'colour'" in one_error_line(run.err)


def test_advise_refuses_on_too_little_data_and_says_why(cli: Cli, tmp_path: Path) -> None:
    seed(cli, tmp_path)
    data = cli("advise", "--json").json()
    [item] = data["items"]
    assert set(item) == {"kind", "subject", "evidence", "recommendation"}
    assert item["kind"] == "not_enough_data" and item["evidence"]["n"] == 4
    assert "perlu minimal 30" in item["recommendation"]
    text = cli("advise", "--min-n", "2", "--lang", "en").out
    assert "RECOMMENDATIONS" in text


def test_whatif_json_on_candle_files(cli: Cli, tmp_path: Path) -> None:
    seed(cli, tmp_path)  # 3 BTCUSDT LONG 50000 / 49000 (5–7 January) and 1 ETHUSDT
    folder = tmp_path / "candles"
    folder.mkdir()
    start = 1_767_578_400_000  # 2026-01-05 02:00 UTC, when the first signal was created
    rows = ["timestamp,open,high,low,close,volume"]
    for minute in range(3 * 24 * 60):
        price = 50000 + minute * 0.5  # a steady rise
        rows.append(f"{start + minute * 60_000},{price},{price + 0.5},{price},{price + 0.5},1")
    (folder / "BTCUSDT.csv").write_text("\n".join(rows) + "\n")
    data = cli("whatif", "--candles", folder, "--targets", "0.5,1", "--stops", "1",
               "--min-n", "1", "--json").json()  # fmt: skip
    assert data["unit"] == "r" and data["signals"] == 3 and len(data["cells"]) == 2
    assert data["best"][0]["target"] == 1.0
    best = data["best"][0]
    # the first signal's day-long life ends at 50750 before 1 R (51000): it expires at +1.5 %
    assert (best["n_in"], best["expectancy_in_pct"]) == (1, 1.5)
    assert (best["n_out"], best["expectancy_out_pct"]) == (2, 2.0)
    run = cli("whatif", "--candles", tmp_path / "none", code=2)
    assert "--candles: no such file or folder" in one_error_line(run.err)


def test_stats_by_hour_and_weekday_count_in_the_zone_of_tz(cli: Cli, tmp_path: Path) -> None:
    # Monday 5 January 2026, 10:15 and 00:15 in Kolkata (+05:30): 04:45 and Sunday 18:45 UTC
    lines = [file_signal(created_at="2026-01-05T10:15:00+05:30"),
             file_signal(created_at="2026-01-05T00:15:00+05:30", symbol="ETHUSDT")]  # fmt: skip
    ids = cli("track", "--file", write_lines(tmp_path / "s.jsonl", lines)).out.split()
    for signal_id, result in zip(ids, ["win", "loss"], strict=True):
        cli("close", signal_id, "--result", result, "--pnl", "1")
    window = ("--since", "2026-01-01", "--until", "2026-02-01", "--json")
    hours = cli("--tz", "Asia/Kolkata", "stats", "--by", "hour", *window).json()
    assert {r["key"]: (r["wins"], r["losses"]) for r in hours["rows"]} == {
        "00": (0, 1),
        "10": (1, 0),
    }
    days = cli("--tz", "Asia/Kolkata", "stats", "--by", "weekday", *window).json()
    assert {r["key"]: (r["wins"], r["losses"]) for r in days["rows"]} == {"Mon": (1, 1)}
