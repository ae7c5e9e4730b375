"""When the automatic jobs run: a time of day (every day, or one weekday) in the display
zone, their slots as aware UTC times, and how late a slot may still run (its grace).

`mon 09:00` is every Monday at 09:00 in the display zone; `23:00` every day. A slot is
one such moment; the run ledger in the store (one row per job and slot) makes each run
once. A slot found late runs within its grace window, else it is recorded missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from sigtrack.core.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE_RE = re.compile(r"(?:(?P<day>[a-z]{3})\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})")


class Grace(StrEnum):
    DAY = "day"  # until the end of the slot's day (display zone)
    PERIOD = "period"  # until the next slot


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    at: time  # local time of day, in the display zone
    weekday: int | None = None  # 0 = Monday … 6 = Sunday; None: every day

    def __str__(self) -> str:
        day = "" if self.weekday is None else WEEKDAYS[self.weekday] + " "
        return f"{day}{self.at:%H:%M}"

    @property
    def period(self) -> timedelta:
        return timedelta(days=1 if self.weekday is None else 7)

    def _slot_on(self, day: date, zone: tzinfo) -> datetime:
        return datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)

    def latest(self, now: datetime, zone: tzinfo) -> datetime:
        """The last slot at or before `now` (aware UTC)."""
        day = now.astimezone(zone).date()
        if self.weekday is not None:
            day -= timedelta(days=(day.weekday() - self.weekday) % 7)
        slot = self._slot_on(day, zone)
        while slot > now:
            day -= self.period
            slot = self._slot_on(day, zone)
        return slot

    def next_after(self, now: datetime, zone: tzinfo) -> datetime:
        """The first slot after `now`."""
        day = self.latest(now, zone).astimezone(zone).date() + self.period
        return self._slot_on(day, zone)

    def slots(self, since: datetime, until: datetime, zone: tzinfo) -> list[datetime]:
        """The slots in (since, until], oldest first."""
        found: list[datetime] = []
        slot = self.latest(until, zone)
        while slot > since:
            found.append(slot)
            slot = self._slot_on(slot.astimezone(zone).date() - self.period, zone)
        return found[::-1]

    def grace_end(self, slot: datetime, grace: Grace, zone: tzinfo) -> datetime:
        """Until when a late `slot` still runs: the end of its local day, or the next slot."""
        if grace is Grace.DAY:
            day = slot.astimezone(zone).date() + timedelta(days=1)
            return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        return self._slot_on(slot.astimezone(zone).date() + self.period, zone)


def parse_schedule(value: object, field: str) -> Schedule:
    """`mon 09:00` (a weekday and a time) or `23:00` (every day), in the display zone."""
    text = str(value).strip().lower()
    found = _SCHEDULE_RE.fullmatch(text)
    hour, minute = (int(found["hour"]), int(found["minute"])) if found else (-1, -1)
    day = found["day"] if found else None
    if not found or hour > 23 or minute > 59 or (day is not None and day not in WEEKDAYS):
        raise InvalidInput(
            field, f"must be a time like 23:00 or a weekday and a time like mon 09:00 "
            f"(got {value!r})"
        )  # fmt: skip
    return Schedule(at=time(hour, minute), weekday=None if day is None else WEEKDAYS.index(day))
