"""Putting a batch of signals in creation order for settling, and its progress back.

`settle_many` settles a batch that is not in creation order in bins of creation time
(neighbours in time read the same part of the candle tables) and returns the outcomes in
the caller's order. Moving the columns there and back is most of what a shuffled batch
costs beyond one in order, so the signals go in by a scatter (each row read in order and
written into one of a few hundred sequential streams, one per bin), the progress comes
back by a gather (`gather`, without the copy numpy makes by default) into memory that is
touched already, and the signals' fractions, which settling never reads, stay behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt

from sigtrack.core.batch_signals import OutcomeBatch, SignalBatch

I64 = npt.NDArray[np.int64]

BIN_STEPS = 1 << 11  # candles per bin of creation time when a batch is put in time order

# Every column of an OutcomeBatch; those that `finish` derives from the others (PnL, R,
# MFE / MAE); and the progress that settling reads and writes: all the rest.
COLUMNS = tuple(f.name for f in fields(OutcomeBatch) if f.name not in ("signals", "rule"))
_DERIVED = ("pnl_pct", "r_multiple", "mfe_pct", "mae_pct", "horizon_mfe_pct", "horizon_mae_pct")
_PROGRESS = tuple(name for name in COLUMNS if name not in _DERIVED)


def time_order(created_ms: I64, step_ms: int) -> I64 | None:
    """The rows by creation time in bins of BIN_STEPS candles, each bin in the order given
    (None: the rows are in that order already).

    Settling reads the candles from each signal's creation on: rows of one bin read the
    same megabyte or so of the tables, whose whole is 100 MB for a year of minutes. Bins
    and not a full sort, because a column moves to and from bin order as a few hundred
    sequential streams (which the cache serves well) but to and from a full sort by random
    accesses, which under load cost as much as the order saves.
    """
    if len(created_ms) < 2:
        return None
    low = int(np.min(created_ms))
    width = max(BIN_STEPS * step_ms, (int(np.max(created_ms)) - low) // (1 << 16) + 1)
    key = ((created_ms - low) // width).astype(np.uint16)
    if bool(np.all(key[1:] >= key[:-1])):
        return None
    order: I64 = np.argsort(key, kind="stable")
    return order


def signals_moved(batch: SignalBatch, to: I64) -> SignalBatch:
    """`batch` with row i moved to row to[i], for settling only: its fractions are left
    empty (N × 0), because settling never reads them (`finish` does, in the caller's
    order), and moving them would cost as much as two columns."""
    names = [f.name for f in fields(SignalBatch) if f.name != "fractions"]
    return SignalBatch(**moved(batch, names, to), fractions=np.empty((len(batch), 0)))


def moved(source: object, names: Sequence[str], to: I64) -> dict[str, Any]:
    """The named columns of `source` with row i moved to row to[i].

    A scatter and not a gather: row i of a column is read in order and written into
    one of a few hundred sequential streams (one per bin), which takes half the time of
    reading it from there.
    """
    out_columns = {}
    for name in names:
        column = getattr(source, name)
        out = np.empty_like(column, order="C")
        _as_rows(out)[to] = _as_rows(np.ascontiguousarray(column))
        out_columns[name] = out
    return out_columns


def gather(
    column: npt.NDArray[Any], rows: I64, out: npt.NDArray[Any] | None = None
) -> npt.NDArray[Any]:
    """`column[rows]` (rows along the first axis), into `out` if given.

    `rows` are in range, so mode="clip" changes no result; it is there because with the
    default mode numpy copies into a temporary buffer first whenever `out` is given, which
    doubles the cost of a gather.
    """
    taken: npt.NDArray[Any] = np.take(column, rows, axis=0, out=out, mode="clip")
    return taken


class _Buffers:
    """Arrays free to be written over, by type and shape.

    Touching fresh memory is slow (a page fault per page, more so in a VM), so a column
    gathered back goes into a buffer of its type and shape that is no longer needed: a
    column of the ordered signals, or one of the progress read already.
    """

    def __init__(self, free: Iterable[npt.NDArray[Any]] = ()) -> None:
        self._free: dict[tuple[str, tuple[int, ...]], list[npt.NDArray[Any]]] = {}
        for column in free:
            self.give(column)

    def give(self, column: npt.NDArray[Any]) -> None:
        if column.flags.c_contiguous and column.flags.writeable:
            self._free.setdefault((column.dtype.str, column.shape), []).append(column)

    def take(self, dtype: np.dtype[Any], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        pool = self._free.get((dtype.str, shape))
        return pool.pop() if pool else np.empty(shape, dtype=dtype)


def put_back(state: OutcomeBatch, to: I64, spare: Sequence[npt.NDArray[Any]]) -> dict[str, Any]:
    """The progress columns of `state`, row to[i] of each as row i (any saved progress).

    Each column is gathered into a free buffer (one of `spare` at first, then the column
    gathered before it), never one put back already nor one still to be read.
    """
    buffers = _Buffers(spare)
    back: dict[str, Any] = {}
    for i, name in enumerate(_PROGRESS):
        column = getattr(state, name)
        out = buffers.take(column.dtype, column.shape)
        taken = [*back.values(), *(getattr(state, later) for later in _PROGRESS[i:])]
        if any(np.may_share_memory(out, c) for c in taken):
            out = np.empty_like(column)
        back[name] = gather(column, to, out)
        buffers.give(column)
    return back


def _as_rows(column: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A C-contiguous 2-D column viewed as one opaque item per row: assigning rows by index
    then copies each row at once (numpy's fancy assignment of 2-D rows is ten times slower)."""
    if column.ndim == 1:
        return column
    rows: npt.NDArray[Any] = column.view(np.dtype((np.void, column.strides[0])))
    return rows.reshape(len(column))
