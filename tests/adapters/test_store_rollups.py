"""Daily rollups (adapters/storage/rollups.py) against counting every row, on SQLite and
PostgreSQL: every breakdown key and the totals, over windows that start and end mid-day
in several zones, and again after every kind of write."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from factories import bot_signal
from sigtrack import Tracker
from sigtrack.adapters.storage import SqlSignalStore, rollups
from sigtrack.adapters.storage.engine import _alembic_config
from sigtrack.adapters.storage.grouping import TOTAL, window_counts
from sigtrack.adapters.storage.tables import signals
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.outcomes import datetime_to_ms
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.resolution import settle_one
from sigtrack.core.signals import Result, Status
from sigtrack.core.stats import ResultCounts
from sigtrack.services.ports import SettleUpdate

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta
JAKARTA, NEW_YORK = ZoneInfo("Asia/Jakarta"), ZoneInfo("America/New_York")
KEYS: list[BreakdownKey | None] = [*BreakdownKey, None]
REASONS = (["Near demand zone", "Strong momentum"], ["Near supply zone"], [], ["Pump: +4%"])


def store_of(tracker: Tracker) -> SqlSignalStore:
    return tracker._app.store  # type: ignore[no-any-return]


def populate(tracker: Tracker, seed: int = 7, count: int = 240) -> list[str]:
    """`count` signals at random seconds over the 40 days before NOW; two in three closed
    by hand; a third of those with an R (as settling writes it)."""
    rng = random.Random(seed)
    signals = []
    for _ in range(count):
        at = NOW - timedelta(seconds=rng.randrange(40 * 86_400))
        signals.append(
            bot_signal(
                symbol=rng.choice(["BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT"]),
                timeframe=rng.choice(["15m", "1h", "4h"]),
                side=rng.choice(["LONG", "SHORT"]),
                confidence=rng.choice([None, 61, 75, 79.5, 80, 88, 95, 100]),
                reasons=rng.choice(REASONS),
                created_at=at,
                strategy=rng.choice(["v1", "v2"]),
            )
        )
    for signal in signals:  # the side decides where the levels go
        if signal["side"] == "SHORT":
            signal.update(tp1=49000.0, tp2=48000.0, sl=51000.0)
    ids = tracker.track_many(signals, now=NOW)
    for signal_id in ids:
        if rng.random() < 2 / 3:
            result = rng.choice(["win", "loss", "win", "breakeven", "cancel"])
            if result == "cancel":
                tracker.cancel(signal_id, actor="t", now=NOW)
            else:
                pnl = {"win": 2.0, "loss": -1.0, "breakeven": 0.0}[result] * rng.uniform(0.5, 2)
                tracker.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=NOW)
    with store_of(tracker).engine.begin() as conn:  # below the API, as a bulk load would
        conn.execute(
            text(
                "UPDATE signals SET r_multiple = pnl_pct / 2 WHERE status = 'CLOSED' AND id % 3 = 0"
            )
        )
        rollups.mark_all_days(conn)
    return ids


def counted(
    tracker: Tracker, by: BreakdownKey | None, since: datetime, until: datetime
) -> dict[Any, ResultCounts]:
    with store_of(tracker).engine.connect() as conn:
        return window_counts(conn, by, since, until)


def assert_same(got: dict[Any, ResultCounts], want: dict[Any, ResultCounts], what: str) -> None:
    assert set(got) == set(want), what
    for key, counts in want.items():
        other = got[key]
        assert (other.open, dict(other.by_result)) == (counts.open, dict(counts.by_result)), (
            what,
            key,
        )
        assert (other.pnl_count, other.r_count) == (counts.pnl_count, counts.r_count), (what, key)
        for name in ("pnl_sum_pct", "pnl_sq", "r_sum", "r_sq"):
            assert math.isclose(getattr(other, name), getattr(counts, name), abs_tol=1e-9), (
                what,
                key,
                name,
            )


def windows() -> list[tuple[datetime, datetime]]:
    """Windows with and without whole UTC days, starting and ending mid-day."""
    found = [(NOW - timedelta(hours=5), NOW)]  # no whole day
    for zone in (UTC, JAKARTA, NEW_YORK):
        local = NOW.astimezone(zone)
        midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
        for days in (1, 2, 7, 30, 45):
            found.append((midnight - timedelta(days=days - 1), NOW))
    found.append((NOW - timedelta(days=20, minutes=7), NOW - timedelta(days=3, hours=4)))
    found.append((datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)))
    return found


def assert_all_agree(tracker: Tracker, keys: list[BreakdownKey | None] = KEYS) -> None:
    store = store_of(tracker)
    for since, until in windows():
        for by in keys:
            what = f"{by} [{since.isoformat()}, {until.isoformat()})"
            assert_same(store._counts(by, since, until), counted(tracker, by, since, until), what)
        totals = store.result_counts(since, until)
        assert_same({TOTAL: totals}, counted(tracker, None, since, until), "winrate")


def test_every_breakdown_over_every_window_equals_counting_every_row(tracker: Tracker) -> None:
    populate(tracker)
    assert_all_agree(tracker)
    with store_of(tracker).engine.connect() as conn:  # the reads built the rollups
        built = conn.execute(text("SELECT count(*) FROM rollup_built")).scalar_one()
        stale = rollups.stale_days(conn, "symbol", date(2026, 10, 1), date(2026, 11, 22))
    assert built > 0 and stale == []


def test_each_kind_of_write_is_counted_by_the_next_read(tracker: Tracker) -> None:
    ids = populate(tracker, seed=11, count=120)
    keys: list[BreakdownKey | None] = [BreakdownKey.SYMBOL, BreakdownKey.TAG, None]
    assert_all_agree(tracker, keys)
    open_ids = [i for i in ids if tracker.get(i).closing is None]
    closed_ids = [i for i in ids if tracker.get(i).closing is not None]

    tracker.close(open_ids[0], result="loss", pnl_pct=-3.0, actor="t", now=NOW)
    assert_all_agree(tracker, keys)
    tracker.close(closed_ids[0], result="win", pnl_pct=5.0, actor="t", override=True, now=NOW)
    assert_all_agree(tracker, keys)
    tracker.cancel(open_ids[1], actor="t", now=NOW)
    assert_all_agree(tracker, keys)
    tracker.track(bot_signal(symbol="XRPUSDT"), created_at=NOW - timedelta(days=9), now=NOW)
    assert_all_agree(tracker, keys)

    # settling: a LOSS from candles for a signal of a past day, with its R
    signal_id = open_ids[2]
    signal = tracker.get(signal_id).signal
    start = datetime_to_ms(signal.created_at) // MINUTE_MS * MINUTE_MS + MINUTE_MS
    low = signal.stop * (0.99 if signal.side.value == "LONG" else 1.0)
    high = signal.stop * (1.0 if signal.side.value == "LONG" else 1.01)
    candles = Candles.from_rows(
        [[start, signal.entry, max(high, signal.entry), min(low, signal.entry), signal.entry]]
    )
    outcome = settle_one(signal, candles, ResolutionPolicy())
    assert outcome.result is not None and outcome.r_multiple is not None
    written = store_of(tracker).save_outcomes(
        [SettleUpdate(signal_id=signal_id, outcome=outcome, events=())], now=NOW
    )
    assert written == [signal_id]
    assert_all_agree(tracker, keys)


def test_an_upgraded_store_builds_the_days_it_already_held(tracker: Tracker) -> None:
    populate(tracker, seed=3, count=60)
    with store_of(tracker).engine.begin() as conn:  # as migration 0003 leaves an old store
        for table in ("rollups", "rollup_built", "rollup_days"):
            conn.execute(text(f"DELETE FROM {table}"))
        day = (
            "substr(created_at, 1, 10)"
            if conn.dialect.name == "sqlite"
            else "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        )
        conn.execute(
            text(f"INSERT INTO rollup_days (day, version) SELECT DISTINCT {day}, 1 FROM signals")
        )
    assert_all_agree(tracker, [BreakdownKey.SIDE, None])


def test_a_rebuild_that_a_write_overtook_leaves_the_day_stale(tracker: Tracker) -> None:
    populate(tracker, seed=5, count=40)
    store = store_of(tracker)
    first, last = date(2026, 10, 1), date(2026, 11, 22)
    with store.engine.begin() as conn:
        assert rollups.refresh(conn, "side", first, last) > 0
        day, version = rollups.stale_days(conn, "timeframe", first, last)[0]
        rollups.mark_days(conn, [day])  # a write lands after the rebuild read the versions
        assert rollups.stale_days(conn, "side", first, last) == [(day, version + 1)]
        assert rollups.refresh(conn, "side", first, last) == 1
        assert rollups.stale_days(conn, "side", first, last) == []


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC),
         (date(2026, 11, 1), date(2026, 11, 2))),
        (datetime(2026, 11, 1, 0, 0, 1, tzinfo=UTC), datetime(2026, 11, 3, 12, tzinfo=UTC),
         (date(2026, 11, 2), date(2026, 11, 2))),
        (datetime(2026, 11, 1, 17, tzinfo=UTC), datetime(2026, 11, 2, 17, tzinfo=UTC), None),
        (datetime(2026, 11, 1, tzinfo=JAKARTA), datetime(2026, 11, 8, tzinfo=JAKARTA),
         (date(2026, 11, 1), date(2026, 11, 6))),
    ],
)  # fmt: skip
def test_whole_days_are_the_utc_days_inside_the_window(
    since: datetime, until: datetime, expected: tuple[date, date] | None
) -> None:
    assert rollups.whole_days(since, until) == expected


def test_the_rollup_day_of_a_time_is_its_utc_date() -> None:
    assert rollups.day_of(datetime(2026, 11, 2, 3, tzinfo=JAKARTA)) == "2026-11-01"


def test_a_read_that_cannot_rebuild_stale_days_counts_every_row_instead(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only database (or replica) cannot rebuild: the numbers stay right, slower."""
    populate(tracker, seed=9, count=60)
    since, until = NOW - timedelta(days=30), NOW

    def read_only(*_: object) -> int:
        raise OperationalError(
            "UPDATE rollups …", {}, Exception("attempt to write a readonly database")
        )

    monkeypatch.setattr(rollups, "refresh", read_only)
    with caplog.at_level("WARNING", logger="sigtrack.adapters.storage.store"):
        got = store_of(tracker)._counts(BreakdownKey.SYMBOL, since, until)
    assert_same(got, counted(tracker, BreakdownKey.SYMBOL, since, until), "read-only")
    assert "counting every row" in caplog.text


def quarter_of_week(moment: datetime) -> int:
    """The minute of the UTC week at which the quarter hour of `moment` starts."""
    return moment.weekday() * 1440 + moment.hour * 60 + moment.minute // 15 * 15


def test_hours_and_weekdays_are_rolled_up_by_the_utc_quarter_hour_of_the_week(
    tracker: Tracker,
) -> None:
    """A UTC hour straddles two local hours at +05:30; a quarter hour lies in one, at every
    offset in use: the store's buckets of hour and weekday are quarter hours."""
    populate(tracker, seed=13, count=200)
    c = signals.c
    with store_of(tracker).engine.connect() as conn:
        rows = conn.execute(select(c.created_at, c.status, c.result)).all()
    for since, until in windows():
        want: dict[int, tuple[int, dict[Result, int]]] = {}
        for created_at, status, result in rows:
            if since <= created_at < until:
                opened, by_result = want.get(quarter_of_week(created_at), (0, {}))
                if status == Status.ACTIVE:
                    opened += 1
                else:
                    by_result = {**by_result, result: by_result.get(result, 0) + 1}
                want[quarter_of_week(created_at)] = (opened, by_result)
        for by in (BreakdownKey.HOUR, BreakdownKey.WEEKDAY):
            got = store_of(tracker)._counts(by, since, until)
            assert {k: (v.open, dict(v.by_result)) for k, v in got.items()} == want, since


def test_migration_0004_rebuilds_the_hour_rollups_by_quarter_hour_and_goes_back_down(
    tracker: Tracker,
) -> None:
    populate(tracker, seed=17, count=80)
    keys: list[BreakdownKey | None] = [BreakdownKey.HOUR, BreakdownKey.WEEKDAY]
    assert_all_agree(tracker, keys)  # builds the quarter-hour rollups
    engine, config = store_of(tracker).engine, _alembic_config()

    def migrate_to(revision: str) -> dict[str, int]:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            (command.downgrade if revision == "0003" else command.upgrade)(config, revision)
            query = "SELECT dim, count(*) FROM rollup_built GROUP BY dim"
            return {str(dim): int(n) for dim, n in conn.execute(text(query))}

    built = migrate_to("0003")
    assert rollups.QUARTERS not in built and built  # the other dimensions keep theirs
    with engine.begin() as conn:  # as the code of 0003 builds UTC hours
        conn.execute(text("INSERT INTO rollup_built SELECT 'hour', day, version FROM rollup_days"))
        conn.execute(
            text(
                "INSERT INTO rollups SELECT 'hour', day, key || ' 05', open, wins, losses,"
                " expired, breakeven, cancelled, pnl_sum, pnl_n, pnl_sq, r_sum, r_n, r_sq"
                " FROM rollups WHERE dim = 'symbol'"
            )
        )
    assert "hour" not in migrate_to("head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rollups WHERE dim = 'hour'")).scalar() == 0
    assert_all_agree(tracker, keys)  # rebuilt by quarter hour on the first read
