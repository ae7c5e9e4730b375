"""Candles from CSV or Parquet files: a folder of `SYMBOL.csv` / `SYMBOL.parquet`, or one file."""

from __future__ import annotations

import csv
import re
import threading
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from sigtrack.adapters.market.columns import candles_from_table
from sigtrack.core.candles import Candles
from sigtrack.core.errors import InvalidInput, MarketDataError, UnknownSymbol

SUFFIXES = (".csv", ".parquet")
_SYMBOL_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class FileCandleSource:
    """A `CandleSource` over candle files; each file is read once per instance.

    Columns: `timestamp` (ms since the epoch, or ISO-8601 text; naive means UTC),
    `open`, `high`, `low`, `close` and optionally `volume` (0 when absent), one row per
    candle in increasing time. The step is the smallest spacing between rows (1 minute
    for a single row); a larger spacing is a gap. With a single file, `symbol` names
    the symbol it holds.
    """

    def __init__(self, path: str | PathLike[str], *, symbol: str | None = None) -> None:
        self._path = Path(path)
        if self._path.is_dir():
            if symbol is not None:
                raise InvalidInput(
                    "symbol", f"only for a single file; {self._path} is a folder (got {symbol!r})"
                )
        elif self._path.is_file():
            if self._path.suffix.lower() not in SUFFIXES:
                raise InvalidInput(
                    "path", f"must be a .csv or .parquet file or a folder (got {self._path})"
                )
            if not symbol:
                raise InvalidInput(
                    "symbol", f"required for a single file: which symbol is {self._path}?"
                )
        else:
            raise InvalidInput("path", f"no such file or folder (got {self._path})")
        self._symbol = symbol
        self._loaded: dict[str, Candles] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"files:{self._path}"

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        with self._lock:
            if symbol not in self._loaded:
                self._loaded[symbol] = read_candle_file(self._file_for(symbol))
            return self._loaded[symbol].between(start_ms, end_ms)

    def _file_for(self, symbol: str) -> Path:
        if self._symbol is not None:
            if symbol != self._symbol:
                raise UnknownSymbol(symbol, f"{self._path} (it holds {self._symbol})")
            return self._path
        names = f"{symbol}.csv or {symbol}.parquet"
        found = (
            [self._path / f"{symbol}{suffix}" for suffix in SUFFIXES]
            if _SYMBOL_FILE_NAME.fullmatch(symbol)
            else []
        )
        found = [file for file in found if file.is_file()]
        if not found:
            raise UnknownSymbol(symbol, f"folder {self._path} (no {names})")
        if len(found) > 1:
            raise MarketDataError(
                f"{self._path}: both {symbol}.csv and {symbol}.parquet exist; keep one"
            )
        return found[0]


def read_candle_file(file: Path) -> Candles:
    """The candles of one .csv or .parquet file; a bad file names the file, line and reason."""
    if file.suffix.lower() == ".parquet":
        try:
            table = pq.read_table(file)
        except (OSError, pa.ArrowException) as exc:
            raise MarketDataError(f"{file}: cannot read as Parquet: {exc}") from exc
        return candles_from_table(table, str(file), lambda row: f"row {row + 1}")
    header = _csv_header(file)
    table = _read_typed_csv(file, header)
    if table is None:
        table = _read_csv_as_text(file, header)
    return candles_from_table(table, str(file), lambda row: f"line {_csv_line(file, row)}")


def _read_typed_csv(file: Path, header: list[str]) -> Any:
    """The fast path: Arrow parses the file with its column types, on several threads.
    None when it cannot (a bad or missing value, a short row, ISO times): the careful
    path then reads it again and names the bad line."""
    column_types = {
        name: _CSV_TYPES[key] for name in header if (key := name.strip().lower()) in _CSV_TYPES
    }
    try:
        return pa_csv.read_csv(
            file,
            # "nan" is a number (refused as a price later, by its line), "" is no value
            convert_options=pa_csv.ConvertOptions(column_types=column_types, null_values=[]),
        )
    except (OSError, pa.ArrowException):
        return None


# What the typed read expects of each column (the careful path reads any text).
_CSV_TYPES = {"timestamp": pa.int64()} | {
    name: pa.float64() for name in ("open", "high", "low", "close", "volume")
}


def _read_csv_as_text(file: Path, header: list[str]) -> Any:
    bad_rows: list[Any] = []

    def keep_first_bad_row(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    try:
        table = pa_csv.read_csv(
            file,
            parse_options=pa_csv.ParseOptions(invalid_row_handler=keep_first_bad_row),
            # text in, converted by `columns` so that a bad value is named by its line
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header}
            ),
        )
    except (OSError, pa.ArrowException) as exc:
        raise MarketDataError(f"{file}: cannot read as CSV: {exc}") from exc
    if bad_rows:
        row = bad_rows[0]
        raise MarketDataError(
            f"{file}: line {_line_of_text(file, row.text)}: has {row.actual_columns} "
            f"values, expected {row.expected_columns} ({row.text!r})"
        )
    return table


def _csv_header(file: Path) -> list[str]:
    try:
        with file.open(newline="", encoding="utf-8-sig") as stream:
            header = next(csv.reader(line for line in stream if line.strip()), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise MarketDataError(f"{file}: cannot read as CSV: {exc}") from exc
    if not header:
        raise MarketDataError(f"{file}: empty file (expected a header line)")
    return header


def _data_lines(file: Path) -> list[int]:
    """Line numbers (1-based) of the data rows, as pyarrow counts them (blank lines skipped)."""
    with file.open(encoding="utf-8-sig") as stream:
        numbers = [n for n, line in enumerate(stream, start=1) if line.strip()]
    return numbers[1:]


def _csv_line(file: Path, row: int) -> int:
    lines = _data_lines(file)
    return lines[row] if row < len(lines) else row + 2


def _line_of_text(file: Path, text: str) -> int | str:
    with file.open(encoding="utf-8-sig") as stream:
        for number, line in enumerate(stream, start=1):
            if line.rstrip("\r\n") == text:
                return number
    return "?"
