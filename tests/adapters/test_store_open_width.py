"""The open signals of some symbols are read as wide as their own targets: a monitor reading a
claimed symbol's signals no longer scans every open signal for the widest (issue 13)."""

from __future__ import annotations

import math

from factories import make_signal
from sigtrack import Tracker
from sigtrack.adapters.storage import SqlSignalStore

NOW = make_signal().created_at


def store_of(tracker: Tracker) -> SqlSignalStore:
    store = tracker.app.store
    assert isinstance(store, SqlSignalStore)
    return store


def test_the_signals_of_a_symbol_are_read_as_wide_as_their_own_targets(tracker: Tracker) -> None:
    one = tracker.track(
        make_signal(symbol="ETHUSDT", entry=3000.0, targets=(3100.0,), stop=2900.0), now=NOW
    )
    four = tracker.track(make_signal(targets=(51000.0, 52000.0, 53000.0, 54000.0)), now=NOW)
    store = store_of(tracker)

    eth = store.open_signals(symbols={"ETHUSDT"})
    btc = store.open_signals(symbols={"BTCUSDT"})
    both = store.open_signals()

    assert (eth.signal_ids, eth.targets.tolist()) == ([one], [[3100.0]])
    assert (btc.signal_ids, btc.targets.tolist()) == (
        [four],
        [[51000.0, 52000.0, 53000.0, 54000.0]],
    )
    assert both.targets.shape == (2, 4)
    row = both.signal_ids.index(one)
    assert both.targets[row, 0] == 3100.0 and all(math.isnan(x) for x in both.targets[row, 1:])
    assert store.open_signals(symbols={"XRPUSDT"}).targets.shape == (0, 1)


def test_the_open_counts_by_symbol_come_from_the_index_without_the_signals(
    tracker: Tracker,
) -> None:
    for symbol in ("BTCUSDT", "BTCUSDT", "ETHUSDT", "SOLUSDT"):
        tracker.track(make_signal(symbol=symbol), now=NOW)
    closed = tracker.track(make_signal(symbol="SOLUSDT"), now=NOW)
    tracker.close(closed, result="win", pnl_pct=1.0, actor="admin", now=NOW)
    store = store_of(tracker)

    assert store.open_counts() == {"BTCUSDT": 2, "ETHUSDT": 1, "SOLUSDT": 1}
    assert store.open_counts(symbols={"ETHUSDT", "XRPUSDT"}) == {"ETHUSDT": 1}
    assert store.open_counts(symbols=set()) == {}
