"""The weekly report (issue 4): an ISO week of signals, their numbers and the advice."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sigtrack.core.advice import Advice
from sigtrack.core.breakdowns import Breakdown
from sigtrack.core.comparison import Comparison, CountComparison
from sigtrack.core.errors import InvalidInput
from sigtrack.core.performance import Performance
from sigtrack.core.records import Activity

_WEEK_RE = re.compile(r"(\d{4})-?W(\d{2})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Week:
    """An ISO week (Monday–Sunday) in the display zone."""

    year: int
    number: int
    since: datetime  # Monday 00:00, display zone
    until: datetime  # the next Monday 00:00

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def previous(self) -> Week:
        return week_of(self.since - timedelta(days=1), self.since.tzinfo)  # type: ignore[arg-type]


def week_of(moment: datetime, zone: tzinfo) -> Week:
    """The ISO week holding `moment` in `zone`."""
    local = moment.astimezone(zone).date()
    year, number, weekday = local.isocalendar()
    monday = local - timedelta(days=weekday - 1)
    return _week(year, number, monday, zone)


def parse_week(value: str | None, *, now: datetime, zone: tzinfo) -> Week:
    """`2026-W47` (or `2026W47`); None: the last complete week before `now`."""
    if value is None:
        return week_of(now, zone).previous()
    match = _WEEK_RE.fullmatch(value.strip().upper())
    if not match:
        raise InvalidInput("week", f"must look like 2026-W47 (got {value!r})")
    year, number = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise InvalidInput("week", f"{year} has no week {number} (got {value!r})") from None
    return _week(year, number, monday, zone)


def _week(year: int, number: int, monday: date, zone: tzinfo) -> Week:
    since = datetime.combine(monday, time(0), tzinfo=zone)
    until = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    return Week(year=year, number=number, since=since, until=until)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivitySummary:
    """User commands of the week, as the old report showed them."""

    total: int
    users: int
    per_day: tuple[tuple[str, int], ...]  # (YYYY-MM-DD in the zone, commands), Monday first
    commands: tuple[tuple[str, int], ...]  # most used first


def summarize_activity(items: Iterable[Activity], week: Week, zone: tzinfo) -> ActivitySummary:
    days = Counter({(week.since.date() + timedelta(days=d)).isoformat(): 0 for d in range(7)})
    commands: Counter[str] = Counter()
    users: set[int] = set()
    for item in items:
        days[item.at.astimezone(zone).date().isoformat()] += 1
        commands[item.command] += 1
        users.add(item.user_id)
    return ActivitySummary(
        total=sum(commands.values()),
        users=len(users),
        per_day=tuple(sorted(days.items())),
        commands=tuple(commands.most_common()),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyComparison:
    current: str
    previous: str
    comparison: CountComparison  # over the 90 days up to the week's end: from the counts


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyReport:
    week: Week
    zone: str
    performance: Performance  # signals created in the week
    previous_week: Performance
    vs_previous_week: Comparison
    vs_previous_strategy: StrategyComparison | None
    by_symbol: Breakdown
    by_side: Breakdown
    by_tag: Breakdown
    by_timeframe: Breakdown
    by_confidence: Breakdown
    activity: ActivitySummary
    advice: Advice
    equity: tuple[tuple[int, float], ...]  # (close time ms, cumulative PnL %)

    @property
    def is_empty(self) -> bool:
        """No signal was created in the week (a report says so rather than print zeros)."""
        p = self.performance
        return p.total + p.open + p.cancelled == 0
