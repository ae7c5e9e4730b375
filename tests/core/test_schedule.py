"""The jobs' slots in the display zone, including the hours when the UTC date and the
Jakarta date differ (Jakarta is UTC+7: 17:00–23:59 UTC is already tomorrow there)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigtrack.core.errors import InvalidInput
from sigtrack.core.schedule import Grace, Schedule, parse_schedule

JAKARTA = ZoneInfo("Asia/Jakarta")
WEEKLY = parse_schedule("mon 09:00", "weekly")  # Monday 02:00 UTC
DAILY = parse_schedule("23:00", "backup")  # 16:00 UTC, the same date


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_parsing_and_the_text_form() -> None:
    assert Schedule(at=time(9, 0), weekday=0) == WEEKLY
    assert Schedule(at=time(23, 0)) == DAILY
    assert (str(WEEKLY), str(DAILY)) == ("mon 09:00", "23:00")
    assert parse_schedule(" SUN 7:05 ", "x") == Schedule(at=time(7, 5), weekday=6)


@pytest.mark.parametrize("bad", ["", "9", "25:00", "12:60", "monday 09:00", "xyz 09:00", "9h"])
def test_a_bad_schedule_names_the_setting_and_the_value(bad: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_schedule(bad, "SIGTRACK_BACKUP_AT")
    assert raised.value.field == "SIGTRACK_BACKUP_AT" and repr(bad) in str(raised.value)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 30, 2, 0), utc(2026, 11, 30, 2, 0)),  # Monday 09:00 WIB exactly
        (utc(2026, 11, 30, 1, 59), utc(2026, 11, 23, 2, 0)),  # 08:59 WIB: last week's
        (utc(2026, 11, 29, 20, 0), utc(2026, 11, 23, 2, 0)),  # Sunday UTC, Monday 03:00 WIB
        (utc(2026, 12, 2, 18, 0), utc(2026, 11, 30, 2, 0)),  # Wednesday night
    ],
)
def test_the_latest_weekly_slot(now: datetime, expected: datetime) -> None:
    assert WEEKLY.latest(now, JAKARTA) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 12, 1, 16, 0), utc(2026, 12, 1, 16, 0)),  # Tuesday 23:00 WIB
        (utc(2026, 12, 1, 15, 59), utc(2026, 11, 30, 16, 0)),
        (utc(2026, 12, 1, 18, 0), utc(2026, 12, 1, 16, 0)),  # Wednesday 01:00 WIB
        (utc(2026, 12, 2, 3, 0), utc(2026, 12, 1, 16, 0)),  # Wednesday 10:00 WIB
    ],
)
def test_the_latest_daily_slot_when_the_dates_differ(now: datetime, expected: datetime) -> None:
    assert DAILY.latest(now, JAKARTA) == expected


def test_grace_ends_at_the_end_of_the_day_or_at_the_next_slot() -> None:
    monday = utc(2026, 11, 30, 2, 0)
    assert WEEKLY.grace_end(monday, Grace.DAY, JAKARTA) == utc(2026, 11, 30, 17, 0)
    tuesday_night = utc(2026, 12, 1, 16, 0)
    assert DAILY.grace_end(tuesday_night, Grace.PERIOD, JAKARTA) == utc(2026, 12, 2, 16, 0)


def test_slots_between_and_the_next_one() -> None:
    slots = DAILY.slots(utc(2026, 11, 28, 16, 0), utc(2026, 12, 1, 16, 30), JAKARTA)

    assert slots == [utc(2026, 11, 29, 16, 0), utc(2026, 11, 30, 16, 0), utc(2026, 12, 1, 16, 0)]
    assert DAILY.next_after(utc(2026, 12, 1, 16, 0), JAKARTA) == utc(2026, 12, 2, 16, 0)
    assert WEEKLY.next_after(utc(2026, 12, 1, 0, 0), JAKARTA) == utc(2026, 12, 7, 2, 0)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                 timezones=st.just(UTC)),
    st.sampled_from(["Asia/Jakarta", "Asia/Kolkata", "Europe/Berlin", "America/New_York",
                     "Australia/Lord_Howe"]),
    st.sampled_from(["mon 09:00", "23:00", "sun 02:30", "00:00"]),
)  # fmt: skip
def test_latest_and_next_bracket_now_in_any_zone(now: datetime, zone: str, text: str) -> None:
    schedule, where = parse_schedule(text, "x"), ZoneInfo(zone)

    latest, following = schedule.latest(now, where), schedule.next_after(now, where)

    assert latest <= now < following
    assert schedule.slots(latest, following, where) == [following]
    local = latest.astimezone(where)
    if schedule.weekday is not None:
        assert local.weekday() == schedule.weekday
