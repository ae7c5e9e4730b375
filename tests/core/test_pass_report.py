"""What a settling pass reports: the changed signals kept as columns, and their counts."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from sigtrack.core.batch_signals import NO_TIME
from sigtrack.core.pass_report import PassChanges, PassReport
from sigtrack.core.render.settling import pass_json, pass_text
from sigtrack.core.signals import ExitReason, Result, Status
from sigtrack.core.texts import Lang

T0 = int(datetime(2026, 11, 20, 3, 0, tzinfo=UTC).timestamp() * 1000)


def changes(ids: list[str], results: list[str | None], hits: list[list[bool]]) -> PassChanges:
    n = len(ids)
    hit_ms = np.where(np.array(hits, dtype=bool), T0 + 60_000, NO_TIME).astype(np.int64)
    return PassChanges(
        signal_ids=ids,
        new_hits=np.array(hits, dtype=bool),
        hit_ms=hit_ms.reshape(n, -1),
        results=results,
        exit_reasons=[None if r is None else ("SL" if r == "LOSS" else "TP2") for r in results],
        pnl_pct=np.array(
            [np.nan if r is None else (-1.0 if r == "LOSS" else 2.0) for r in results]
        ),
        r_multiple=np.full(n, np.nan),
        closed_at_ms=np.full(n, T0 + 120_000, dtype=np.int64),
        is_ambiguous=np.array([r == "LOSS" for r in results], dtype=bool),
        rule="sl_first",
    )


def test_a_change_reads_back_as_one_value_with_its_hits_times_and_close() -> None:
    part = changes(["a", "b"], ["WIN", None], [[True, True], [True, False]])
    won, open_ = list(part)
    assert won.signal_id == "a" and won.new_hits == (1, 2) and won.status is Status.CLOSED
    assert (won.result, won.exit_reason, won.pnl_pct) == (Result.WIN, ExitReason.TP2, 2.0)
    assert won.r_multiple is None  # NaN is no value
    assert won.closed_at == datetime(2026, 11, 20, 3, 2, tzinfo=UTC)
    assert open_.status is Status.ACTIVE and open_.closed_at is None and open_.pnl_pct is None
    assert open_.hit_at == (datetime(2026, 11, 20, 3, 1, tzinfo=UTC), None)


def test_joined_parts_keep_every_change_in_order_and_the_report_counts_them() -> None:
    first = changes(["a", "b"], ["WIN", None], [[True, False], [True, False]])
    second = changes(["c"], ["LOSS"], [[False, False]])
    joined = PassChanges.joined([first, PassChanges(rule="sl_first"), second], "sl_first")
    assert [c.signal_id for c in joined] == ["a", "b", "c"]
    report = PassReport(checked=5, symbols=2, changes=joined, rule="sl_first")
    assert (report.closed_count, report.tp_hits, report.still_open) == (2, 2, 3)
    assert (report.wins, report.losses, report.expired) == (1, 1, 0)
    assert [c.signal_id for c in report.closed] == ["a", "c"]
    assert PassChanges.joined([], "sl_first").signal_ids == []


def test_a_shared_pass_tells_how_many_symbols_other_monitors_settled() -> None:
    shared = PassReport(checked=30, symbols=2, claimed_elsewhere=3)
    alone = PassReport(checked=30, symbols=5)

    assert pass_json(shared, UTC)["symbols_settled_elsewhere"] == 3
    assert pass_json(alone, UTC)["symbols_settled_elsewhere"] == 0
    assert "   3 koin lain diselesaikan monitor lain pada putaran ini." in pass_text(
        shared, UTC, Lang.ID
    ).split("\n")
    assert "3 other coins settled by other monitors" in pass_text(shared, UTC, Lang.EN)
    assert "monitor" not in pass_text(alone, UTC, Lang.EN)
