"""The counts of a window kept between reads while nothing changed them.

Every write that changes what a window counts — a signal added, closed, cancelled or
settled to a close — bumps its day's version in `rollup_days` (rollups.mark_days), here
or in any other process. So the day versions are a fingerprint of the counts: while it
is the same, counts of [since, until) read earlier are still right for any later `until`,
as long as no stored signal was created between the two (a signal created "in the future"
by a clock ahead of this one); the first such creation time is noted when the counts are
read. A read with the same fingerprint is then one small query instead of the window's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from sigtrack.adapters.storage.tables import signals

SIZE = 256  # windows kept (per store): each key is (dimension, since)


@dataclass(frozen=True, slots=True)
class _Kept:
    fingerprint: tuple[int, int]
    until: datetime  # the counts are of [since, until)
    next_created: datetime | None  # the first signal created at or after `until` then
    counts: dict[Any, Any]


class CountCache:
    def __init__(self) -> None:
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, conn: Connection, key: Hashable, until: datetime
    ) -> tuple[tuple[int, int], dict[Any, Any] | None]:
        """The store's fingerprint now, and the kept counts of `key` when they are still
        right for a window ending at `until` (None: read them, then `put` them)."""
        fingerprint = _fingerprint(conn)
        with self._lock:
            kept = self._kept.get(key)
        if (
            kept is not None
            and kept.fingerprint == fingerprint
            and kept.until <= until
            and (kept.next_created is None or until <= kept.next_created)
        ):
            return fingerprint, kept.counts
        return fingerprint, None

    def put(
        self,
        conn: Connection,
        key: Hashable,
        fingerprint: tuple[int, int],
        until: datetime,
        counts: dict[Any, Any],
    ) -> None:
        """Keep counts read after `get` gave `fingerprint` (read before them: a write in
        between changes the fingerprint, and the next `get` reads again)."""
        later = conn.execute(
            select(func.min(signals.c.created_at)).where(signals.c.created_at >= until)
        ).scalar()
        with self._lock:
            self._kept[key] = _Kept(fingerprint, until, later, counts)
            self._kept.move_to_end(key)
            while len(self._kept) > SIZE:
                self._kept.popitem(last=False)


# Plain SQL text: this runs on every read of a window, and building the statement would
# cost more than running it.
_FINGERPRINT = "SELECT count(*), coalesce(sum(version), 0) FROM rollup_days"


def _fingerprint(conn: Connection) -> tuple[int, int]:
    row = conn.exec_driver_sql(_FINGERPRINT).one()
    return int(row[0]), int(row[1])
