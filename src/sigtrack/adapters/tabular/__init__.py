"""Signals as a table: Parquet and CSV files, an Arrow table, a pandas DataFrame."""

from sigtrack.adapters.tabular.tables import FORMATS, signals_table, write_table

__all__ = ["FORMATS", "signals_table", "write_table"]
