"""Stored signals as an Arrow table (one row per signal), written as Parquet or CSV."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from sigtrack.core.errors import InvalidInput
from sigtrack.core.records import SignalRecord

FORMATS = ("parquet", "csv")
TIME = pa.timestamp("ms", tz="UTC")
SCHEMA = pa.schema(
    [
        ("signal_id", pa.string()),
        ("created_at", TIME),
        ("symbol", pa.string()),
        ("side", pa.string()),
        ("timeframe", pa.string()),
        ("entry", pa.float64()),
        ("tp1", pa.float64()),
        ("tp2", pa.float64()),
        ("sl", pa.float64()),
        ("targets", pa.string()),  # JSON list
        ("confidence", pa.float64()),
        ("reasons", pa.string()),  # JSON list
        ("tags", pa.string()),  # JSON list
        ("strategy", pa.string()),
        ("source", pa.string()),
        ("exchange", pa.string()),
        ("market", pa.string()),
        ("user_id", pa.int64()),
        ("status", pa.string()),
        ("result", pa.string()),
        ("exit_reason", pa.string()),
        ("pnl_pct", pa.float64()),
        ("r_multiple", pa.float64()),
        ("mfe_pct", pa.float64()),
        ("mae_pct", pa.float64()),
        ("ambiguous", pa.bool_()),
        ("rule", pa.string()),
        ("tp1_hit_at", TIME),
        ("closed_at", TIME),
    ]
)


def signals_table(records: Iterable[SignalRecord]) -> Any:
    """The records as a pyarrow.Table with SCHEMA (times as UTC timestamps)."""
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for record in records:
        row = _row(record)
        for name, values in columns.items():
            values.append(row[name])
    return pa.table(columns, schema=SCHEMA)


def _row(record: SignalRecord) -> dict[str, Any]:
    """`record.fields()`, lists as JSON text, with the outcome's columns."""
    o, fields = record.outcome, record.fields()
    return fields | {
        "targets": json.dumps(fields["targets"]),
        "reasons": json.dumps(fields["reasons"], ensure_ascii=False),
        "tags": json.dumps(fields["tags"]),
        "r_multiple": o.r_multiple if o else None,
        "mfe_pct": o.mfe_pct if o else None,
        "mae_pct": o.mae_pct if o else None,
        "ambiguous": o.is_ambiguous if o else None,
        "rule": o.rule if o else None,
        "tp1_hit_at": o.target_hits[0] if o and o.legs else None,
    }


def write_table(table: Any, path: Path, fmt: str) -> None:
    """Write atomically (a temporary file in the same folder, then a rename)."""
    if fmt not in FORMATS:
        raise InvalidInput("format", f"must be one of {', '.join(FORMATS)} (got {fmt!r})")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if fmt == "parquet":
            pq.write_table(table, temporary, compression="zstd")
        else:
            pa_csv.write_csv(table, temporary)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InvalidInput("out", f"cannot write {path}: {exc.strerror}") from None
