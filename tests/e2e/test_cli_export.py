"""`sigtrack export`: the signals as one Parquet or CSV table, read back."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from e2e_support import Cli, file_signal, one_error_line, write_lines

from sigtrack import Tracker


def seed(cli: Cli, tmp_path: Path) -> list[str]:
    lines = [file_signal(symbol="BTCUSDT", confidence=80), file_signal(
        symbol="ETHUSDT", side="SHORT", entry=3000.0, tp1=2900.0, tp2=None, sl=3100.0,
        created_at="2026-01-09T10:00:00+07:00")]  # fmt: skip
    ids = cli("track", "--file", write_lines(tmp_path / "s.jsonl", lines)).out.split()
    cli("close", ids[0], "--result", "win", "--pnl", "2.5")
    return ids


def test_parquet_export_holds_every_signal_with_its_outcome(cli: Cli, tmp_path: Path) -> None:
    ids = seed(cli, tmp_path)
    target = tmp_path / "out" / "signals.parquet"
    assert "2 signal(s)" in cli("export", "--out", target).out
    table = pq.read_table(target)
    rows = {row["signal_id"]: row for row in table.to_pylist()}
    assert set(rows) == set(ids)
    win = rows[ids[0]]
    assert (win["result"], win["pnl_pct"], win["confidence"]) == ("WIN", 2.5, 80.0)
    assert win["created_at"].isoformat() == "2026-01-08T03:00:00+00:00"
    assert rows[ids[1]]["status"] == "ACTIVE" and rows[ids[1]]["tp2"] is None
    assert str(table.schema.field("closed_at").type) == "timestamp[ms, tz=UTC]"


def test_csv_export_and_a_filter(cli: Cli, tmp_path: Path) -> None:
    seed(cli, tmp_path)
    target = tmp_path / "eth.csv"
    cli("export", "--out", target, "--format", "csv", "--filter", "side=SHORT")
    table = pa_csv.read_csv(target)
    assert table.column("symbol").to_pylist() == ["ETHUSDT"]


def test_a_bad_format_is_named(cli: Cli, tmp_path: Path) -> None:
    run = cli("export", "--out", tmp_path / "x.xlsx", "--format", "xlsx", code=2)
    assert "--format: must be one of parquet, csv" in one_error_line(run.err)


def test_to_pandas_gives_one_row_per_signal(cli: Cli, tmp_path: Path) -> None:
    pytest.importorskip("pandas", reason="pandas is the optional extra sigtrack[pandas]")
    seed(cli, tmp_path)
    with Tracker.open(cli.db_url) as tracker:
        frame = tracker.to_pandas("symbol=BTCUSDT")
    assert list(frame["symbol"]) == ["BTCUSDT"] and frame["pnl_pct"].iloc[0] == 2.5
