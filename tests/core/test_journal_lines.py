"""The journal's lines: every operation survives the round trip, and a line that does not
decode (torn by a crash, or damaged) is reported apart, never fatal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sigtrack.core.candles import Timeframe
from sigtrack.core.journal import (
    TORN_MARK,
    JournalEntry,
    OpKind,
    decode,
    encode,
    journal_signal_id,
    new_op_id,
)
from sigtrack.core.records import Activity, Closing
from sigtrack.core.signals import ExitReason, Result, Side, Signal

AT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
SIGNAL = Signal(symbol="BTCUSDT", side=Side.LONG, timeframe=Timeframe("15m"), entry=100.0,
                targets=(101.0, 102.0), stop=99.0, created_at=AT, confidence=80.0,
                reasons=("Near demand zone", "<b>'; DROP TABLE signals; --"),
                tags=("demand_zone",), strategy="v2", source="bot", receivers=(5, 6),
                signal_id="5_BTCUSDT_1796220000")  # fmt: skip
ENTRIES = [
    JournalEntry(op_id=new_op_id(), kind=OpKind.TRACK, at=AT, actor="api", signals=(SIGNAL,)),
    JournalEntry(op_id=new_op_id(), kind=OpKind.CLOSE, at=AT, actor="admin",
                 signal_id="5_BTCUSDT_1796220000", note="misread", override=True,
                 closing=Closing(result=Result.WIN, exit_reason=ExitReason.MANUAL,
                                 closed_at=AT, pnl_pct=2.5)),
    JournalEntry(op_id=new_op_id(), kind=OpKind.CANCEL, at=AT, actor="cli", signal_id="x1",
                 closing=Closing(result=Result.CANCELLED, exit_reason=ExitReason.MANUAL,
                                 closed_at=AT)),
    JournalEntry(op_id=new_op_id(), kind=OpKind.ACTIVITY, at=AT, actor="command",
                 activity=(Activity(at=AT, user_id=7, username="budi", command="/winrate",
                                    symbol=None, timeframe=None),)),
]  # fmt: skip


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.kind.value for e in ENTRIES])
def test_every_operation_survives_the_round_trip(entry: JournalEntry) -> None:
    line = encode(entry)
    assert line.endswith("\n") and line.count("\n") == 1
    assert decode(line).entries == (entry,)


def test_a_last_line_cut_short_is_torn_and_the_lines_before_it_count() -> None:
    whole = "".join(encode(e) for e in ENTRIES[:2])
    contents = decode(whole + encode(ENTRIES[2])[:40])
    assert contents.entries == tuple(ENTRIES[:2])
    (bad,) = contents.bad
    assert (bad.number, bad.torn) == (3, True)


def test_whole_json_without_its_newline_is_torn_too_the_call_never_returned() -> None:
    contents = decode(encode(ENTRIES[0]).rstrip("\n"))
    assert contents.entries == () and contents.bad[0].torn


def test_a_torn_line_ended_by_a_later_write_stays_apart_and_the_later_entry_counts() -> None:
    text = encode(ENTRIES[0]).rstrip("\n") + TORN_MARK + "\n" + encode(ENTRIES[1])
    contents = decode(text)
    assert contents.entries == (ENTRIES[1],)
    assert [(b.number, b.torn) for b in contents.bad] == [(1, True)]


def test_a_damaged_line_in_the_middle_is_reported_with_its_reason_and_the_rest_kept() -> None:
    tampered = encode(ENTRIES[0]).replace('"entry":100.0', '"entry":-5')
    contents = decode(encode(ENTRIES[1]) + tampered + encode(ENTRIES[3]))
    assert contents.entries == (ENTRIES[1], ENTRIES[3])
    (bad,) = contents.bad
    assert bad.number == 2 and not bad.torn and "entry" in bad.reason


def test_a_signal_tracked_while_down_gets_an_id_of_its_own_in_the_old_scheme() -> None:
    op = new_op_id()
    first, second = journal_signal_id(SIGNAL, op, 0), journal_signal_id(SIGNAL, op, 1)
    assert first.startswith("5_BTCUSDT_1796220000_j") and first != second
    assert journal_signal_id(SIGNAL, new_op_id(), 0) != first
