"""Where an open signal stands: age, last price, distance to the next target and the stop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from factories import SIGNAL_TIME, make_signal
from sigtrack.core.candles import Candles
from sigtrack.core.open_signals import open_view
from sigtrack.core.records import SignalRecord
from sigtrack.core.resolution import settle_one
from sigtrack.core.signals import Side, Status

T0 = int(SIGNAL_TIME.timestamp() * 1000)


def record_after(rows: list[tuple[float, float, float, float]], **changes: object) -> SignalRecord:
    signal = make_signal(**changes)
    candles = Candles.from_rows([(T0 + n * 60_000, *row) for n, row in enumerate(rows)])
    outcome = settle_one(signal, candles)
    assert outcome.status is Status.ACTIVE
    return SignalRecord(signal_id="s1", signal=signal, status=Status.ACTIVE, outcome=outcome)


def test_a_signal_no_pass_has_read_has_its_age_and_no_price() -> None:
    record = SignalRecord(signal_id="s1", signal=make_signal(), status=Status.ACTIVE)

    view = open_view(record, SIGNAL_TIME + timedelta(hours=2, minutes=5))

    assert view.age == timedelta(hours=2, minutes=5)
    assert (view.price, view.to_target_pct, view.to_stop_pct) == (None, None, None)
    assert (view.next_target, view.target_price, view.stop) == (1, 51000.0, 49000.0)


def test_a_long_measures_up_to_its_target_and_down_to_its_stop() -> None:
    record = record_after([(50000, 50200, 49900, 50100)])

    view = open_view(record, SIGNAL_TIME + timedelta(minutes=5))

    assert view.price == 50100.0
    assert view.to_target_pct == pytest.approx((51000 - 50100) / 50100 * 100)
    assert view.to_stop_pct == pytest.approx((50100 - 49000) / 50100 * 100)


def test_a_short_is_the_mirror() -> None:
    record = record_after([(3000, 3010, 2990, 2995)], side=Side.SHORT, entry=3000.0,
                          targets=(2940.0, 2880.0), stop=3060.0)  # fmt: skip

    view = open_view(record, SIGNAL_TIME + timedelta(minutes=5))

    assert view.to_target_pct == pytest.approx((2995 - 2940) / 2995 * 100)
    assert view.to_stop_pct == pytest.approx((3060 - 2995) / 2995 * 100)


def test_after_tp1_it_aims_at_tp2_with_the_stop_moved_to_entry() -> None:
    record = record_after([(50000, 51100, 49900, 51000), (51000, 51200, 50500, 50800)])

    view = open_view(record, SIGNAL_TIME + timedelta(minutes=5))

    assert (view.next_target, view.target_price, view.stop) == (2, 52000.0, 50000.0)
    assert view.to_target_pct == pytest.approx((52000 - 50800) / 50800 * 100)
    assert view.to_stop_pct == pytest.approx((50800 - 50000) / 50800 * 100)
