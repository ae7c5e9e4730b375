"""SQLite WAL checkpoints on a background thread instead of inside a write.

SQLite checkpoints by itself inside the write that takes the WAL past 1,000 pages, and
that write stalls (tens of ms in a store of a million signals, bench/README.md). Here
the automatic checkpoint is off for the store's connections and a daemon thread runs a
PASSIVE checkpoint every few seconds, which never blocks readers or writers; disposing
the store truncates the WAL. Another process that opens the file checkpoints it too.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: Engine, interval_s: float) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._stop = threading.Event()
        event.listen(engine, "connect", _no_autocheckpoint)
        engine.dispose()  # pooled connections opened before this point get the setting too
        self._thread = threading.Thread(
            target=self._run, name="sigtrack-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.checkpoint("PASSIVE")

    def checkpoint(self, mode: str) -> None:
        try:
            with self._engine.connect() as conn:
                conn.connection.driver_connection.execute(f"PRAGMA wal_checkpoint({mode})")  # type: ignore[union-attr]
        except (SQLAlchemyError, OSError) as exc:  # the next round tries again
            logger.warning("WAL checkpoint (%s) failed: %s", mode, exc)

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self.checkpoint("TRUNCATE")


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
