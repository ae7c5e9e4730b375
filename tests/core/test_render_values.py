"""The numbers every summary shows are keyed and valued the same in every JSON view."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from factories import summarize
from sigtrack.core.render.values import counts_json
from sigtrack.core.render.winrate import winrate_json
from sigtrack.core.stats import wilson_interval


def test_the_counts_of_a_summary_are_its_numbers_in_percent_with_no_data_as_none() -> None:
    summary = summarize(win=7, loss=3, expired=2, open_=4, pnl_sum=6.0, pnl_count=12)
    low, high = wilson_interval(7, 10) or (0.0, 0.0)
    assert counts_json(summary) == {
        "total": 12, "wins": 7, "losses": 3, "expired": 2, "breakeven": 0, "cancelled": 0,
        "open": 4, "winrate_pct": pytest.approx(70.0),
        "winrate_interval_pct": [pytest.approx(low * 100), pytest.approx(high * 100)],
        "strict_winrate_pct": pytest.approx(700 / 12), "avg_pnl_pct": pytest.approx(0.5),
    }  # fmt: skip
    empty = counts_json(summarize(open_=2))
    assert empty["winrate_pct"] is None and empty["winrate_interval_pct"] is None
    assert empty["avg_pnl_pct"] is None and empty["open"] == 2


def test_the_winrate_view_is_its_window_and_the_shared_counts() -> None:
    summary = summarize(days=30, win=1, loss=1)
    view = winrate_json(summary, ZoneInfo("Asia/Jakarta"))
    assert list(view)[:3] == ["days", "since", "until"]
    assert {k: v for k, v in view.items() if k not in {"days", "since", "until"}} == counts_json(
        summary
    )
    assert view["since"].endswith("+07:00")
