"""Breakdowns over a window of signals: the store counts, the core ranks."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sigtrack.core.breakdowns import (
    DEFAULT_MIN_N,
    Breakdown,
    BreakdownKey,
    breakdown,
    in_local_time,
)
from sigtrack.core.errors import InvalidInput
from sigtrack.services.ports import SignalStore


def breakdown_for(
    store: SignalStore,
    by: BreakdownKey,
    *,
    since: datetime,
    until: datetime,
    zone: tzinfo,
    min_n: int = DEFAULT_MIN_N,
) -> Breakdown:
    """The breakdown of the signals created in [since, until) by `by`."""
    if until <= since:
        raise InvalidInput(
            "until", f"must be after since ({since.isoformat()}) (got {until.isoformat()})"
        )
    groups = store.grouped_counts(by, since, until)
    if by.is_local_time:
        groups = in_local_time(groups, by, zone)
    return breakdown(groups, by, min_n=min_n)
