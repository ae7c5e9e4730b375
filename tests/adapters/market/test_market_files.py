"""FileCandleSource: CSV and Parquet candle files, a folder of them or one file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from real_candles import CANDLE_DIR, ONE_DAY, TEN_DAYS, load_reference

from sigtrack.adapters.market.files import FileCandleSource
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import InvalidInput, MarketDataError, UnknownSymbol

T0 = 1670889600000  # 2022-12-13 00:00 UTC
EVERYTHING = (0, 2**62)
HEADER = "timestamp,open,high,low,close,volume\n"


def assert_same(got: Candles, expected: Candles) -> None:
    assert got.step_ms == expected.step_ms
    for name in ("open_time_ms", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_serves_each_symbol_from_its_csv_in_ms(tmp_path: Path) -> None:
    reference, one_day = load_reference(TEN_DAYS), load_reference(ONE_DAY)
    shutil.copy(CANDLE_DIR / TEN_DAYS, tmp_path / "BTCUSDT.csv")
    shutil.copy(CANDLE_DIR / ONE_DAY, tmp_path / "ETHUSDT.csv")
    source = FileCandleSource(tmp_path)

    got = source.candles("BTCUSDT", *EVERYTHING)

    assert_same(got, reference)
    assert len(got) == 13681
    assert len(got.gaps()) == 538  # the file's own holes stay holes
    assert_same(source.candles("ETHUSDT", *EVERYTHING), one_day)


def test_only_the_asked_range_is_returned(tmp_path: Path) -> None:
    reference = load_reference(ONE_DAY)  # first: it skips when the real data is absent
    shutil.copy(CANDLE_DIR / ONE_DAY, tmp_path / "BTCUSDT.csv")

    got = FileCandleSource(tmp_path).candles("BTCUSDT", T0 + 10 * MINUTE_MS, T0 + 20 * MINUTE_MS)

    assert_same(got, reference.between(T0 + 10 * MINUTE_MS, T0 + 20 * MINUTE_MS))
    assert len(got) == 10


def test_iso_times_aware_or_naive_read_as_utc(tmp_path: Path) -> None:
    file = write(
        tmp_path / "x.csv",
        "timestamp,open,high,low,close\n"
        "2022-12-13T00:00:00Z,10,12,9,11\n"
        "2022-12-13T07:01:00+07:00,11,12,10,11.5\n"
        "2022-12-13 00:02:00,11.5,13,11,12\n"
        "2022-12-13T00:03:00.000+00:00,12,12,12,12\n",
    )

    got = FileCandleSource(file, symbol="BTCUSDT").candles("BTCUSDT", *EVERYTHING)

    assert got.open_time_ms.tolist() == [T0 + n * MINUTE_MS for n in range(4)]
    assert got.volume.tolist() == [0.0, 0.0, 0.0, 0.0]  # no volume column
    assert got.close.tolist() == [11.0, 11.5, 12.0, 12.0]


def test_iso_times_of_one_form_read_the_same_as_mixed_forms(tmp_path: Path) -> None:
    rows = "".join(f"2022-12-13T00:{n:02d}:00Z,10,12,9,11,{n}\n" for n in range(3))  # the fast path
    mixed = f"{T0},10,12,9,11,0\n2022-12-13T00:01:00,10,12,9,11,1\n2022-12-13T00:02Z,10,12,9,11,2\n"
    one = FileCandleSource(write(tmp_path / "a.csv", HEADER + rows), symbol="X")
    other = FileCandleSource(write(tmp_path / "b.csv", HEADER + mixed), symbol="X")

    assert_same(one.candles("X", *EVERYTHING), other.candles("X", *EVERYTHING))


@pytest.mark.parametrize(
    "timestamps",
    [
        pa.array([T0, T0 + MINUTE_MS], pa.int64()),
        pa.array([T0, T0 + MINUTE_MS], pa.timestamp("ms", tz="UTC")),
        pa.array([T0 * 1000, (T0 + MINUTE_MS) * 1000], pa.timestamp("us", tz="Asia/Jakarta")),
        pa.array([T0 // 1000, T0 // 1000 + 60], pa.timestamp("s")),  # naive: UTC
        pa.array(["2022-12-13T00:00:00Z", "2022-12-13T00:01:00Z"]),
    ],
    ids=["ms", "timestamp-utc", "timestamp-jakarta-us", "timestamp-naive-s", "iso-text"],
)
def test_parquet_times_in_any_form_read_as_utc_ms(tmp_path: Path, timestamps: pa.Array) -> None:
    table = pa.table(
        {
            "timestamp": timestamps,
            "open": [10.0, 11.0],
            "high": [12.0, 12.0],
            "low": [9.0, 10.0],
            "close": [11.0, 11.5],
            "volume": [5.0, 6.0],
        }
    )
    pq.write_table(table, tmp_path / "BTCUSDT.parquet")

    got = FileCandleSource(tmp_path).candles("BTCUSDT", *EVERYTHING)

    assert got.open_time_ms.tolist() == [T0, T0 + MINUTE_MS]
    assert got.volume.tolist() == [5.0, 6.0]


def test_a_real_day_reads_the_same_from_parquet_and_csv(tmp_path: Path) -> None:
    reference = load_reference(ONE_DAY)
    table = pa.table(
        {"timestamp": reference.open_time_ms}
        | {name: getattr(reference, name) for name in ("open", "high", "low", "close", "volume")}
    )
    pq.write_table(table, tmp_path / "day.parquet")

    got = FileCandleSource(tmp_path / "day.parquet", symbol="BTCUSDT").candles(
        "BTCUSDT", *EVERYTHING
    )

    assert_same(got, reference)


def test_the_step_is_the_smallest_spacing_and_one_row_is_a_minute(tmp_path: Path) -> None:
    five = write(tmp_path / "FIVE.csv", HEADER + "".join(
        f"{T0 + n * 300_000},10,12,9,11,1\n" for n in (0, 1, 2, 4)
    ))  # fmt: skip
    single = write(tmp_path / "ONE.csv", HEADER + f"{T0},10,12,9,11,1\n")
    empty = write(tmp_path / "NONE.csv", HEADER)
    source = FileCandleSource(tmp_path)

    assert source.candles("FIVE", *EVERYTHING).step_ms == 300_000
    assert len(source.candles("FIVE", *EVERYTHING).gaps()) == 1
    assert source.candles("ONE", *EVERYTHING).step_ms == MINUTE_MS
    assert len(source.candles("NONE", *EVERYTHING)) == 0
    assert five.exists() and single.exists() and empty.exists()


def test_a_file_is_read_once_per_source(tmp_path: Path) -> None:
    file = write(tmp_path / "BTCUSDT.csv", HEADER + f"{T0},10,12,9,11,1\n")
    source = FileCandleSource(tmp_path)
    first = source.candles("BTCUSDT", *EVERYTHING)
    write(file, HEADER + f"{T0},20,22,19,21,1\n")

    assert_same(source.candles("BTCUSDT", *EVERYTHING), first)
    assert FileCandleSource(tmp_path).candles("BTCUSDT", *EVERYTHING).open.tolist() == [20.0]


def test_a_symbol_without_a_file_in_the_folder_is_unknown(tmp_path: Path) -> None:
    write(tmp_path / "BTCUSDT.csv", HEADER)

    with pytest.raises(UnknownSymbol, match=r"'ETHUSDT' .*no ETHUSDT\.csv or ETHUSDT\.parquet"):
        FileCandleSource(tmp_path).candles("ETHUSDT", *EVERYTHING)
    with pytest.raises(UnknownSymbol):
        FileCandleSource(tmp_path).candles("../BTCUSDT", *EVERYTHING)


def test_a_single_file_knows_only_its_symbol(tmp_path: Path) -> None:
    file = write(tmp_path / "prices.csv", HEADER + f"{T0},10,12,9,11,1\n")
    source = FileCandleSource(file, symbol="BTCUSDT")

    assert len(source.candles("BTCUSDT", *EVERYTHING)) == 1
    with pytest.raises(UnknownSymbol, match=r"'ETHUSDT' .*prices\.csv \(it holds BTCUSDT\)"):
        source.candles("ETHUSDT", *EVERYTHING)


def test_both_a_csv_and_a_parquet_for_one_symbol_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "BTCUSDT.csv", HEADER)
    write(tmp_path / "BTCUSDT.parquet", "")

    with pytest.raises(MarketDataError, match=r"both BTCUSDT\.csv and BTCUSDT\.parquet"):
        FileCandleSource(tmp_path).candles("BTCUSDT", *EVERYTHING)


@pytest.mark.parametrize(
    ("make_path", "symbol", "field"),
    [
        (lambda tmp: tmp / "missing", None, "path"),
        (lambda tmp: write(tmp / "a.txt", HEADER), "X", "path"),
        (lambda tmp: write(tmp / "a.csv", HEADER), None, "symbol"),
        (lambda tmp: tmp, "BTCUSDT", "symbol"),
    ],
    ids=["missing", "not-csv-or-parquet", "file-without-symbol", "folder-with-symbol"],
)
def test_a_wrong_path_or_symbol_is_refused_at_once(
    tmp_path: Path, make_path: object, symbol: str | None, field: str
) -> None:
    path = make_path(tmp_path)  # type: ignore[operator]
    with pytest.raises(InvalidInput) as caught:
        FileCandleSource(path, symbol=symbol)
    assert caught.value.field == field


OK_ROW = f"{T0},10,12,9,11,1\n"
NEXT = T0 + MINUTE_MS


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            OK_ROW + f"{NEXT},10,12,abc,11,1\n", "line 3: low must be a number", id="text-price"
        ),
        pytest.param(
            OK_ROW + f"\n{NEXT},10,12,,11,1\n",
            r"line 4: low must be a number \(got ''\)",
            id="empty-price-after-a-blank-line",
        ),
        pytest.param(OK_ROW + f"{NEXT},10,12,9\n", "line 3: has 4 values, expected 6", id="short"),
        pytest.param(OK_ROW + OK_ROW, f"line 3: timestamp {T0} .* repeats", id="duplicate"),
        pytest.param(
            f"{NEXT},10,12,9,11,1\n" + OK_ROW, "line 3: timestamp .* is before", id="unsorted"
        ),
        pytest.param(
            OK_ROW + f"{NEXT},10,12,9,11,1\n{T0 + 150_000},10,12,9,11,1\n",
            "line 4: .* 90000 ms after the previous row, not a multiple of the 60000 ms step",
            id="off-grid",
        ),
        pytest.param(
            f"{T0},10,12,11.5,11,1\n",
            r"line 2: low is above open or close \(got open=10.0",
            id="low-above",
        ),
        pytest.param(f"{T0},10,10.5,9,11,1\n", "line 2: high is below open", id="high-below"),
        pytest.param(f"{T0},10,12,0,11,1\n", "line 2: prices must be > 0", id="zero-price"),
        pytest.param(f"{T0},10,12,9,nan,1\n", "line 2: prices must be > 0", id="nan-price"),
        pytest.param(f"{T0},10,12,9,11,-1\n", "line 2: volume must be >= 0", id="negative-volume"),
        pytest.param(
            f"{T0 // 1000},10,12,9,11,1\n",
            r"line 2: timestamp must be milliseconds .*got 1670889600\)",
            id="seconds",
        ),
        pytest.param(
            OK_ROW + "yesterday,10,12,9,11,1\n",
            "line 3: timestamp must be ms since the epoch or ISO-8601 .*'yesterday'",
            id="bad-time",
        ),
    ],
)
def test_a_bad_csv_row_is_named_by_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path / "BTCUSDT.csv", HEADER + body)

    with pytest.raises(MarketDataError, match=message) as caught:
        FileCandleSource(tmp_path).candles("BTCUSDT", *EVERYTHING)
    assert str(caught.value).startswith(f"{tmp_path / 'BTCUSDT.csv'}: ")


def test_a_bad_parquet_row_is_named_by_row(tmp_path: Path) -> None:
    table = pa.table(
        {
            "timestamp": [T0, T0 + MINUTE_MS, T0 + 2 * MINUTE_MS],
            "open": [10.0, 10.0, 10.0],
            "high": [12.0, 12.0, 9.0],
            "low": [9.0, 9.0, 9.0],
            "close": [11.0, 11.0, 9.0],
        }
    )
    pq.write_table(table, tmp_path / "BTCUSDT.parquet")

    with pytest.raises(MarketDataError, match=r"BTCUSDT\.parquet: row 3: high is below"):
        FileCandleSource(tmp_path).candles("BTCUSDT", *EVERYTHING)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("BTCUSDT.csv", "", "empty file"),
        ("BTCUSDT.csv", "time,open,high,low,close\n", r"missing column\(s\) timestamp .*has time"),
        ("BTCUSDT.parquet", "not parquet at all", "cannot read as Parquet"),
    ],
    ids=["empty", "missing-column", "not-parquet"],
)  # fmt: skip
def test_a_bad_file_is_named(tmp_path: Path, name: str, content: str, message: str) -> None:
    write(tmp_path / name, content)

    with pytest.raises(MarketDataError, match=message) as caught:
        FileCandleSource(tmp_path).candles("BTCUSDT", *EVERYTHING)
    assert name in str(caught.value)


def test_headers_are_matched_without_case_spaces_or_byte_order_mark(tmp_path: Path) -> None:
    write(tmp_path / "BTCUSDT.csv", f"\ufeffTimestamp, Open,HIGH,low,close\n{T0},10,12,9,11\n")

    assert FileCandleSource(tmp_path).candles("BTCUSDT", *EVERYTHING).high.tolist() == [12.0]


def test_a_file_the_typed_read_refuses_reads_as_the_careful_path_reads_it(tmp_path: Path) -> None:
    reference = load_reference(ONE_DAY)
    text = (CANDLE_DIR / ONE_DAY).read_text(encoding="utf-8")
    # one time written as ISO text: Arrow's typed parse refuses the column, the careful
    # path reads every row as text and must come to the very same numbers
    first = text.splitlines()[1].split(",")[0]
    iso = np.datetime_as_string(np.datetime64(int(first), "ms"), "ms") + "Z"
    write(tmp_path / "ISO.csv", text.replace(f"\n{first},", f"\n{iso},", 1))
    shutil.copy(CANDLE_DIR / ONE_DAY, tmp_path / "MS.csv")
    source = FileCandleSource(tmp_path)

    assert_same(source.candles("ISO", *EVERYTHING), reference)
    assert_same(source.candles("MS", *EVERYTHING), reference)


def test_reading_a_csv_of_millisecond_times_does_not_import_pandas(tmp_path: Path) -> None:
    file = write(tmp_path / "BTCUSDT.csv", HEADER + OK_ROW + f"{NEXT},10,12,9,11,1\n")
    check = (
        "import sys\n"
        "from sigtrack.adapters.market.files import read_candle_file\n"
        "from pathlib import Path\n"
        f"assert len(read_candle_file(Path({str(file)!r}))) == 2\n"
        "print('pandas' in sys.modules)\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=False
    )

    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr
