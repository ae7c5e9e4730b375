"""Receivers' feedback: one answer per (signal, receiver), and what the answers add up to.

The taken and skipped signals are counted by the same SQL aggregate as every window
(`grouping.aggregates`), grouped by whether anyone took the signal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from sigtrack.adapters.storage.grouping import aggregates, counts_of
from sigtrack.adapters.storage.tables import deliveries, feedback, signals
from sigtrack.core.bot_records import FeedbackAnswer, FeedbackCounts, FeedbackTally
from sigtrack.core.errors import InvalidInput, SignalNotFound
from sigtrack.core.stats import ResultCounts

_TOOK, _SKIPPED = FeedbackAnswer.TOOK.value, FeedbackAnswer.SKIPPED.value


def save(
    conn: Connection, signal_id: str, user_id: int, answer: FeedbackAnswer, *, now: datetime
) -> FeedbackAnswer | None:
    """Upsert the answer in the caller's transaction; the answer it replaced (None: the
    first). Raises SignalNotFound for an unknown signal id."""
    pk = conn.execute(select(signals.c.id).where(signals.c.signal_id == signal_id)).scalar()
    if pk is None:
        raise SignalNotFound(signal_id)
    c = feedback.c
    query = select(c.answer).where(c.signal_pk == pk, c.user_id == user_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    previous = conn.execute(query).scalar()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    row = {"signal_pk": pk, "user_id": user_id, "answer": answer.value, "at": now,
           "updated_at": now}  # fmt: skip
    statement = dialect.insert(feedback).values(row)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["signal_pk", "user_id"],
            set_={"answer": statement.excluded.answer, "updated_at": statement.excluded.updated_at},
        )
    )
    return None if previous is None else FeedbackAnswer(previous)


def counts(conn: Connection, since: datetime, until: datetime, *, limit: int) -> FeedbackCounts:
    """The answers to the signals created in [since, until): the newest `limit` answered
    signals' tallies, and the counts of the taken and the skipped ones."""
    if limit < 0:
        raise InvalidInput("limit", f"must be >= 0 (got {limit!r})")
    window = (signals.c.created_at >= since) & (signals.c.created_at < until)
    took = func.count().filter(feedback.c.answer == _TOOK)
    per_signal = (
        select(
            feedback.c.signal_pk.label("pk"),
            took.label("took"),
            func.count().filter(feedback.c.answer == _SKIPPED).label("skipped"),
        )
        .join(signals, signals.c.id == feedback.c.signal_pk)
        .where(window)
        .group_by(feedback.c.signal_pk)
        .subquery()
    )
    return FeedbackCounts(
        tallies=_tallies(conn, per_signal, limit),
        **_taken_and_skipped(conn, per_signal),
    )


def _tallies(conn: Connection, per_signal: Any, limit: int) -> tuple[FeedbackTally, ...]:
    receivers = (
        select(func.count())
        .where(deliveries.c.signal_pk == per_signal.c.pk)
        .correlate(per_signal)
        .scalar_subquery()
    )
    query = (
        select(
            signals.c.signal_id,
            signals.c.symbol,
            signals.c.created_at,
            receivers,
            per_signal.c.took,
            per_signal.c.skipped,
        )
        .select_from(signals.join(per_signal, per_signal.c.pk == signals.c.id))
        .order_by(signals.c.created_at.desc(), signals.c.id.desc())
        .limit(limit)
    )
    return tuple(
        FeedbackTally(
            signal_id=signal_id,
            symbol=symbol,
            created_at=created_at,
            receivers=int(n),
            took=int(took),
            skipped=int(skipped),
        )
        for signal_id, symbol, created_at, n, took, skipped in conn.execute(query)
    )


def _taken_and_skipped(conn: Connection, per_signal: Any) -> dict[str, ResultCounts]:
    is_taken = case((per_signal.c.took > 0, 1), else_=0).cast(Integer)
    query = (
        select(is_taken, *aggregates())
        .select_from(signals.join(per_signal, per_signal.c.pk == signals.c.id))
        .group_by(is_taken)
    )
    found = {int(row[0]): counts_of(row[1:]) for row in conn.execute(query)}
    empty = ResultCounts(by_result={})
    return {"taken": found.get(1, empty), "skipped": found.get(0, empty)}
