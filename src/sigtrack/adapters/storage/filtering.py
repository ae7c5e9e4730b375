"""Signals matching a SignalFilter, read as outcome columns for the statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, exists, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from sigtrack.adapters.storage.tables import signals
from sigtrack.core.filters import SignalFilter
from sigtrack.core.performance import NO_TIME, OPEN, RESULT_CODES, OutcomeColumns, SignalFrame
from sigtrack.core.signals import ExitReason, Result

# targets reached, by how the plan ended ("TP2_BE" → 2)
_TARGETS_HIT = {
    reason: int(reason.value[2:].split("_")[0])
    for reason in ExitReason
    if reason.value.startswith("TP")
}
_TARGETS_HIT |= {ExitReason.SL: 0, ExitReason.TIMEOUT: 0}


def conditions(chosen: SignalFilter, dialect: str) -> list[ColumnElement[bool]]:
    c = signals.c
    where: list[ColumnElement[bool]] = []
    for name in ("strategy", "symbol", "side", "timeframe", "source"):
        value = getattr(chosen, name)
        if value is not None:
            where.append(c[name] == value)
    if chosen.since is not None:
        where.append(c.created_at >= chosen.since)
    if chosen.until is not None:
        where.append(c.created_at < chosen.until)
    if chosen.min_confidence is not None:
        where.append(c.confidence >= chosen.min_confidence)
    if chosen.tag is not None:
        name = "json_each" if dialect == "sqlite" else "json_array_elements_text"
        each = getattr(func, name)(c.tags).table_valued("value")
        where.append(exists(select(literal(1)).select_from(each).where(each.c.value == chosen.tag)))
    return where


def load_outcomes(conn: Connection, chosen: SignalFilter) -> OutcomeColumns:
    """The matching signals in the order they closed (open ones last)."""
    return load_frame(conn, chosen).outcomes


def load_frame(conn: Connection, chosen: SignalFilter) -> SignalFrame:
    """The matching signals, outcomes and keys, in the order they closed (open ones last)."""
    c = signals.c
    query = (
        select(
            c.result,
            c.pnl_pct,
            c.r_multiple,
            c.created_at,
            c.tp1_hit_at,
            c.closed_at,
            c.exit_reason,
            c.rule,
            c.targets,
            c.mfe_pct,
            c.mae_pct,
            c.ambiguous,
            c.symbol,
            c.timeframe,
            c.side,
            c.strategy,
            c.confidence,
            c.tags,
            c.entry,
            c.sl,
        )
        .where(*conditions(chosen, conn.dialect.name))
        .order_by(c.closed_at.is_(None), c.closed_at, c.id)
    )
    rows = conn.execute(query).all()
    (result, pnl, r, created, tp1, closed, reason, rule, targets, mfe, mae, ambiguous,
     symbol, timeframe, side, strategy, confidence, tags, entry, stop) = (
        list(zip(*rows, strict=True)) if rows else [()] * 20
    )  # fmt: skip
    reasons = [ExitReason(x) if x else None for x in reason]
    settled = np.array([x is not None for x in rule], dtype=bool)
    hit = np.array([_TARGETS_HIT.get(x, -1) if x else -1 for x in reasons], dtype=np.int64)
    outcomes = OutcomeColumns(
        result=np.array(
            [OPEN if x is None else RESULT_CODES[Result(x)] for x in result], dtype=np.int64
        ),
        pnl_pct=_floats(pnl),
        r_multiple=_floats(r),
        created_ms=_times(created),
        closed_ms=_times(closed),
        tp1_hit_ms=_times(tp1),
        stop_ms=np.where(
            np.array([x is ExitReason.SL for x in reasons], dtype=bool), _times(closed), NO_TIME
        ),
        targets_hit=np.where(settled, hit, -1),
        n_targets=np.array([len(x) for x in targets], dtype=np.int64),
        mfe_pct=_floats(mfe),
        mae_pct=_floats(mae),
        ambiguous=np.array([bool(x) for x in ambiguous], dtype=bool),
    )
    return SignalFrame(
        outcomes=outcomes,
        symbol=np.array(symbol, dtype=np.str_),
        timeframe=np.array(timeframe, dtype=np.str_),
        side=np.array(side, dtype=np.str_),
        strategy=np.array(strategy, dtype=np.str_),
        confidence=_floats(confidence),
        tags=tuple(tuple(x) for x in tags),
        entry=_floats(entry),
        stop=_floats(stop),
    )


def _floats(values: tuple[Any, ...]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _times(values: tuple[Any, ...]) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.array(
        [NO_TIME if v is None else int(_utc(v).timestamp() * 1000) for v in values],
        dtype=np.int64,
    )


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
