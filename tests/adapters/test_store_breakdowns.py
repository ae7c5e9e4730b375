"""Breakdowns counted by the store (SQL aggregates), on SQLite and PostgreSQL; hours and
weekdays in the display zone, whatever its offset."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from factories import bot_signal
from sigtrack import Tracker
from sigtrack.core.breakdowns import WEEKDAYS, BreakdownKey
from sigtrack.services.statistics import breakdown_for

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta


def add(
    tracker: Tracker,
    *,
    at: datetime,
    result: str | None,
    pnl: float | None = None,
    **signal: object,
) -> None:
    signal_id = tracker.track(bot_signal(**signal), created_at=at, now=NOW)
    if result is not None:
        tracker.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=NOW)


def keyed(tracker: Tracker, by: str) -> dict[str, tuple[int, int, int]]:
    rows = tracker.stats(by, days=7, now=NOW).rows
    return {row.key: (row.wins, row.losses, row.open) for row in rows}


def test_symbol_side_and_confidence_groups_are_counted_in_sql(tracker: Tracker) -> None:
    at = NOW - timedelta(hours=3)
    add(tracker, at=at, result="win", pnl=2.0, symbol="BTCUSDT", confidence=81)
    add(tracker, at=at, result="loss", pnl=-1.0, symbol="BTCUSDT", confidence=84.9)
    add(tracker, at=at, result=None, symbol="ETHUSDT", confidence=100)
    add(tracker, at=at, result="win", pnl=1.0, symbol="ETHUSDT", confidence=None)
    add(tracker, at=NOW - timedelta(days=30), result="loss", symbol="ETHUSDT")  # outside
    assert keyed(tracker, "symbol") == {"BTCUSDT": (1, 1, 0), "ETHUSDT": (1, 0, 1)}
    assert keyed(tracker, "confidence") == {
        "80–84": (1, 1, 0),
        "95–100": (0, 0, 1),
        "(none)": (1, 0, 0),
    }
    [btc, _] = tracker.stats("symbol", days=7, now=NOW).rows
    assert btc.avg_pnl_pct == 0.5


def test_a_signal_counts_once_per_tag_and_untagged_ones_apart(tracker: Tracker) -> None:
    at = NOW - timedelta(hours=3)
    add(tracker, at=at, result="win", reasons=["Near demand zone", "Strong momentum"])
    add(tracker, at=at, result="loss", reasons=["Near demand zone"])
    add(tracker, at=at, result="win", reasons=[])
    assert keyed(tracker, "tag") == {
        "demand_zone": (1, 1, 0),
        "momentum": (1, 0, 0),
        "(none)": (1, 0, 0),
    }


def test_hours_and_weekdays_are_those_of_the_display_zone(tracker: Tracker) -> None:
    add(tracker, at=datetime(2026, 11, 22, 17, 30, tzinfo=UTC), result="win")  # Mon 00:30 WIB
    add(tracker, at=datetime(2026, 11, 23, 1, 10, tzinfo=UTC), result="loss")  # Mon 08:10 WIB
    assert keyed(tracker, "hour") == {"00": (1, 0, 0), "08": (0, 1, 0)}
    assert keyed(tracker, "weekday") == {"Mon": (1, 1, 0)}


def test_breakdowns_add_up_to_the_winrate_totals(tracker: Tracker) -> None:
    for i in range(12):
        add(
            tracker,
            at=NOW - timedelta(hours=i * 7),
            result=("win", "loss", None)[i % 3],
            symbol=("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT")[i % 4],
            timeframe=("15m", "1h")[i % 2],
        )
    total = tracker.winrate(7, now=NOW)
    for by in ("symbol", "timeframe", "side", "strategy", "hour", "weekday", "confidence"):
        rows = tracker.stats(by, days=7, now=NOW).rows
        assert sum(r.wins for r in rows) == total.wins, by
        assert sum(r.losses for r in rows) == total.losses, by
        assert sum(r.open for r in rows) == total.open, by


ZONES = ["Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide", "Asia/Jakarta", "UTC",
         "America/St_Johns"]  # fmt: skip
DST_EDGES = [  # Adelaide's repeated and skipped 02:xx; St John's changes
    datetime(2026, 4, 4, 15, 45, tzinfo=UTC), datetime(2026, 4, 4, 16, 29, 59, tzinfo=UTC),
    datetime(2026, 4, 4, 16, 30, tzinfo=UTC), datetime(2026, 4, 4, 16, 45, tzinfo=UTC),
    datetime(2026, 10, 3, 16, 15, tzinfo=UTC), datetime(2026, 10, 3, 16, 30, tzinfo=UTC),
    datetime(2026, 3, 8, 5, 29, tzinfo=UTC), datetime(2026, 3, 8, 5, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 4, 29, tzinfo=UTC), datetime(2026, 11, 1, 4, 30, tzinfo=UTC),
]  # fmt: skip


def local_key(by: BreakdownKey, moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.hour:02d}" if by is BreakdownKey.HOUR else WEEKDAYS[local.weekday()]


def test_hours_and_weekdays_equal_each_signal_by_its_own_time_in_every_zone(
    tracker: Tracker,
) -> None:
    """Half-hour and 45-minute offsets, daylight saving both ways, a negative offset: over
    a year (whole days from the rollups) and over windows that start and end mid-day."""
    rng = random.Random(4)
    start = datetime(2025, 11, 20, tzinfo=UTC)
    moments = DST_EDGES + [
        start + timedelta(seconds=rng.randrange(int((NOW - start).total_seconds())))
        for _ in range(240)
    ]
    ids = tracker.track_many([bot_signal(created_at=m) for m in moments], now=NOW)
    outcomes = [rng.choice(["win", "loss", None]) for _ in ids]
    for signal_id, outcome in zip(ids, outcomes, strict=True):
        if outcome is not None:
            tracker.close(signal_id, result=outcome, pnl_pct=1.0, actor="t", now=NOW)
    store = tracker._app.store
    for name in ZONES:
        zone = ZoneInfo(name)
        windows = [
            (start, NOW),
            (datetime(2026, 4, 4, 9, 7, tzinfo=UTC), datetime(2026, 4, 6, 1, tzinfo=UTC)),
            (datetime(2026, 10, 1, tzinfo=zone), datetime(2026, 11, 3, 12, tzinfo=zone)),
        ]
        for by in (BreakdownKey.HOUR, BreakdownKey.WEEKDAY):
            for since, until in windows:
                want: dict[str, list[int]] = {}
                for moment, outcome in zip(moments, outcomes, strict=True):
                    if since <= moment < until:
                        row = want.setdefault(local_key(by, moment, zone), [0, 0, 0])
                        row[{"win": 0, "loss": 1, None: 2}[outcome]] += 1
                got = breakdown_for(store, by, since=since, until=until, zone=zone)
                assert {r.key: [r.wins, r.losses, r.open] for r in got.rows} == want, (
                    name, by, since,
                )  # fmt: skip


def test_a_quarter_past_ten_in_kolkata_is_counted_at_ten(tracker: Tracker) -> None:
    add(tracker, at=datetime(2026, 11, 23, 10, 15, tzinfo=ZoneInfo("Asia/Kolkata")), result="win")
    add(tracker, at=datetime(2026, 11, 23, 0, 15, tzinfo=ZoneInfo("Asia/Kolkata")), result="loss")
    store, zone = tracker._app.store, ZoneInfo("Asia/Kolkata")
    since = NOW - timedelta(days=7)
    hours = breakdown_for(store, BreakdownKey.HOUR, since=since, until=NOW, zone=zone)
    assert [(r.key, r.wins, r.losses) for r in hours.rows] == [("00", 0, 1), ("10", 1, 0)]
    days = breakdown_for(store, BreakdownKey.WEEKDAY, since=since, until=NOW, zone=zone)
    assert [(r.key, r.wins, r.losses) for r in days.rows] == [("Mon", 1, 1)]
