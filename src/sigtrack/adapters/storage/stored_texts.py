"""The texts a settling pass stores, made a column at a time in Arrow (not per row).

Outcome JSON, event data, stored times: each column's values are cast to text in C and
joined per row by `binary_join_element_wise`; numbers read back as the very same floats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from sigtrack.core.batch_signals import NO_TIME, OutcomeBatch

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def floats(values: F64) -> list[float | None]:
    """The column as Python floats, NaN (no value) as None."""
    found: list[float | None] = values.tolist()
    for i in np.flatnonzero(np.isnan(values)).tolist():
        found[i] = None
    return found


def sqlite_times(ms: I64) -> list[str | None]:
    """UtcDateTime's SQLite text of each time (None for NO_TIME)."""
    found: list[str | None] = _time_column(ms).to_pylist()
    return found


def _time_column(ms: I64) -> Any:
    """Arrow's text of each time: "2026-12-02 01:40:00.000000", UtcDateTime's on SQLite."""
    ms = np.ascontiguousarray(ms, np.int64)
    at = pa.Array.from_buffers(
        pa.timestamp("us"), len(ms), [_valid(ms != NO_TIME), pa.py_buffer(ms * 1000)]
    )
    return pc.cast(at, pa.string())


def pg_times(ms: I64) -> list[str | None]:
    found: list[str | None] = joined([_time_column(ms), "+00"], nulls=None).to_pylist()
    return found


# --- the stored text of outcomes -----------------------------------------------------------
# Built column by column in Arrow: each value column becomes a column of JSON texts (null
# where there is no value), then every row's object is joined from them and the literal
# pieces between them in one call, in C (a Python template per row cost ~1.2 s a 100,000).

_OUTCOME_KEYS = (
    "status", "result", "exit_reason", "closed_at", "pnl_pct", "r_multiple", "ambiguous",
    "rule", "mfe_pct", "mae_pct", "horizon_mfe_pct", "horizon_mae_pct", "horizon_complete",
    "gaps", "legs",
)  # fmt: skip
_PROGRESS_KEYS = (
    "legs_done", "stop", "next_ms", "fav_max", "adv_max", "last_close", "gaps", "is_ambiguous",
    "horizon_next_ms", "horizon_fav_max", "horizon_adv_max", "horizon_complete", "close_kind",
)  # fmt: skip
_NULL = "null"
_LEG_KEYS = ("target", "fraction", "hit_at", "exit_at", "exit_price", "hit_ms", "exit_ms")


def outcome_texts(
    state: OutcomeBatch,
    rows: I64,
    results: Sequence[str | None],
    exit_reasons: Sequence[str | None],
) -> list[str]:
    """`json.dumps(state.outcome(i).to_json())` for each of `rows`, from the columns (the
    numbers written by `number_column`: each reads back as the same float)."""
    if not len(rows):
        return []
    closed_at = np.max(state.exit_ms[rows], axis=1, initial=NO_TIME)
    closed_at = np.where(state.close_kind[rows] != 0, closed_at, NO_TIME)
    ambiguous, result_texts = _bool_column(state.is_ambiguous[rows]), quoted(results)
    complete, gaps = _bool_column(state.horizon_complete[rows]), _int_column(state.gaps[rows])
    # the horizon's extremes are the life's until one outlives the other: their texts too
    mfe, mae = state.mfe_pct[rows], state.mae_pct[rows]
    fav, adv = state.fav_max[rows], state.adv_max[rows]
    mfe_text, mae_text = number_column(mfe), number_column(mae)
    fav_text, adv_text = number_column(fav), number_column(adv)
    values = (
        pc.if_else(pc.is_null(result_texts), literal('"ACTIVE"'), literal('"CLOSED"')),
        result_texts, quoted(exit_reasons), _iso_column(closed_at),
        number_column(state.pnl_pct[rows]), number_column(state.r_multiple[rows]), ambiguous,
        json.dumps(state.rule), mfe_text, mae_text,
        _reusing(number_column, state.horizon_mfe_pct[rows], mfe, mfe_text),
        _reusing(number_column, state.horizon_mae_pct[rows], mae, mae_text), complete, gaps,
    )  # fmt: skip
    progress = (
        _int_column(state.legs_done[rows]), number_column(state.stop[rows]),
        _int_column(state.next_ms[rows]), fav_text, adv_text,
        number_column(state.last_close[rows]), gaps, ambiguous,
        _int_column(state.horizon_next_ms[rows]),
        _reusing(number_column, state.horizon_fav_max[rows], fav, fav_text),
        _reusing(number_column, state.horizon_adv_max[rows], adv, adv_text), complete,
        _int_column(state.close_kind[rows]),
    )  # fmt: skip
    text = joined([
        *_object_pieces(_OUTCOME_KEYS[:-1], values, close=False),
        ', "legs": ', *_leg_pieces(state, rows),
        *_object_pieces(_PROGRESS_KEYS, progress, opening=', "progress": {'), "}",
    ])  # fmt: skip
    found: list[str] = text.to_pylist()
    return found


def _leg_pieces(state: OutcomeBatch, rows: I64) -> list[Any]:
    """The pieces of each row's legs as the text of a JSON list (the first `n_legs` of its
    columns): a leg every row has goes in as its own pieces, joined once with the rest of
    the outcome; a leg some rows lack is joined first, and "" where a row lacks it."""
    b, pieces = state.signals, ["["]
    n_legs = b.n_legs[rows]
    for j in range(b.targets.shape[1]):
        hit, exit_ = state.hit_ms[rows, j], state.exit_ms[rows, j]
        target, hit_at, hit_ms = b.targets[rows, j], _iso_column(hit), _int_column(hit)
        target_text = number_column(target)
        values = (  # a target's leg exits when it is hit, at its level
            target_text, number_column(b.fractions[rows, j]), hit_at,
            _reusing(_iso_column, exit_, hit, hit_at),
            _reusing(number_column, state.exit_price[rows, j], target, target_text), hit_ms,
            _reusing(_int_column, exit_, hit, hit_ms),
        )  # fmt: skip
        leg = [", " if j else "", *_object_pieces(_LEG_KEYS, values)]
        has_leg = n_legs > j
        if has_leg.all():
            pieces += leg
        else:
            pieces.append(pc.if_else(mask(has_leg), joined(leg), literal("")))
    return [*pieces, "]"]


def _object_pieces(
    keys: Sequence[str], values: Sequence[Any], *, opening: str = "{", close: bool = True
) -> list[Any]:
    """The pieces of a JSON object's text: literal key texts between the value columns."""
    pieces: list[Any] = []
    for n, (key, value) in enumerate(zip(keys, values, strict=True)):
        pieces += [f'{opening if n == 0 else ", "}"{key}": ', value]
    return pieces + (["}"] if close else [])


def joined(pieces: Sequence[Any], *, nulls: str | None = _NULL) -> Any:
    """The row-wise concatenation of text columns and literals, a null (no value) written as
    `nulls` (None: the row's text is null)."""
    merged: list[Any] = []  # literals side by side go in as one (each piece costs per row)
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    columns = [
        literal(p) if isinstance(p, str) else p for p in merged if not isinstance(p, str) or p
    ]
    if nulls is None:
        return pc.binary_join_element_wise(*columns, literal(""))
    return pc.binary_join_element_wise(
        *columns, literal(""), null_handling="replace", null_replacement=nulls
    )


@cache
def literal(text: str) -> Any:
    """An Arrow string scalar; from an array, as pa.scalar() imports pandas (0.3 s), and
    so does handing a compute function a Python str."""
    return string_column([text])[0]


def _valid(present: B) -> Any:
    """An Arrow validity bitmap: which values are there."""
    return pa.py_buffer(np.packbits(present, bitorder="little"))


def number_column(values: F64) -> Any:
    """JSON numbers, each the shortest text that reads back as the very same float (as
    repr, but not always in repr's form: 1e-05 is "0.00001", 1e-7 "1e-7"); NaN is no
    value: null."""
    values = np.ascontiguousarray(values, np.float64)
    column = pa.Array.from_buffers(  # from the buffers: pa.array() would import pandas
        pa.float64(), len(values), [_valid(~np.isnan(values)), pa.py_buffer(values)]
    )
    texts = pc.cast(column, pa.string())
    # a whole number comes without a point ("2"), which JSON would read back as an int
    whole = values == np.floor(values)
    if not whole.any():
        return texts
    pointed = pc.replace_substring_regex(
        texts.filter(mask(whole)), pattern=r"^(-?\d+)$", replacement=r"\1.0"
    )
    return pc.replace_with_mask(texts, mask(whole), pointed)


def _reusing(make: Callable[[Any], Any], values: Any, like: Any, like_texts: Any) -> Any:
    """`make(values)`, but where `values` equal `like` the texts of `like` are taken rather
    than made again (turning numbers into text is most of the cost)."""
    differ = values != like
    if values.dtype.kind == "f":
        differ &= ~(np.isnan(values) & np.isnan(like))
    if differ.mean() > 0.5:
        return make(values)
    if not differ.any():
        return like_texts
    return pc.replace_with_mask(like_texts, mask(differ), make(values[differ]))


def _int_column(values: I64) -> Any:
    """Ints as JSON; NO_TIME (no time) is null."""
    values = np.ascontiguousarray(values, np.int64)
    column = pa.Array.from_buffers(
        pa.int64(), len(values), [_valid(values != NO_TIME), pa.py_buffer(values)]
    )
    return pc.cast(column, pa.string())


def mask(values: B) -> Any:
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, _valid(values)])


def _bool_column(values: B) -> Any:
    return pc.cast(mask(values), pa.string())  # "true" / "false"


def quoted(values: Sequence[str | None]) -> Any:
    """Enum values (plain ASCII words) as JSON strings, each distinct one written once;
    None is null."""
    distinct = list(set(values))
    codes = np.fromiter(
        map({v: i for i, v in enumerate(distinct)}.__getitem__, values), np.int64, len(values)
    )
    texts = string_column([None if v is None else f'"{v}"' for v in distinct])
    return texts.take(pa.Array.from_buffers(pa.int64(), len(codes), [None, pa.py_buffer(codes)]))


def string_column(texts: Sequence[str | None]) -> Any:
    """An Arrow string column of the texts, made from its buffers: pa.array() imports
    pandas (0.6 s)."""
    data = [(text or "").encode() for text in texts]
    offsets = np.cumsum([0, *map(len, data)], dtype=np.int32)
    present = np.array([text is not None for text in texts], dtype=bool)
    buffers = [_valid(present), pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(pa.string(), len(texts), buffers)


def _iso_column(ms: I64) -> Any:
    """outcomes._iso as JSON: ISO-8601 UTC with Z, microseconds only when there are any."""
    ms = np.ascontiguousarray(ms, np.int64)
    seconds = pa.Array.from_buffers(
        pa.timestamp("s"), len(ms), [_valid(ms != NO_TIME), pa.py_buffer(ms // 1000)]
    )
    text = pc.cast(seconds, pa.string())  # "2026-12-02 01:40:00"
    text = pc.replace_substring(text, pattern=" ", replacement="T")
    part = ms % 1000
    if not part[ms != NO_TIME].any():  # whole seconds, as candle times are: no fraction
        return joined(['"', text, 'Z"'], nulls=None)
    fraction = pc.utf8_slice_codeunits(_int_column(part + 1000), 1)  # 7 -> "1007" -> "007"
    fraction = pc.if_else(mask(part != 0), joined([".", fraction, "000"]), literal(""))
    return joined(['"', text, fraction, 'Z"'], nulls=None)


# --- writing single updates (the general path) ----------------------------------------------
