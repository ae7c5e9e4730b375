"""Write the old tracker's three kinds of files, so tools built on them keep working.

Each line holds the old keys first (naive local timestamps, as the old tracker wrote
them, unless `aware` is asked for) and sigtrack's extra fields after them, which old
readers ignore and which make export → import lossless.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from sigtrack.core.errors import InvalidInput
from sigtrack.core.records import (
    Activity,
    SignalRecord,
)
from sigtrack.core.signals import (
    Status,
)
from sigtrack.services.legacy import ExportReport

ACTIVE_FILE = "active_signals.jsonl"
COMPLETED_FILE = "completed_signals.jsonl"


def _time(moment: datetime | None, zone: tzinfo, aware: bool) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(zone)
    return local.isoformat() if aware else local.replace(tzinfo=None).isoformat()


def signal_line(record: SignalRecord, zone: tzinfo, *, aware: bool = False) -> dict[str, Any]:
    s = record.signal
    line: dict[str, Any] = {
        "signal_id": record.signal_id,
        "timestamp": _time(s.created_at, zone, aware),
        "user_id": s.user_id,
        "symbol": s.symbol,
        "timeframe": s.timeframe.value,
        "signal_type": s.side.value,
        "entry_price": s.entry,
        "tp1": s.tp1,
        "tp2": s.tp2,
        "sl": s.stop,
        "status": record.status.value,
    }
    if record.closing is not None:
        line |= {
            "result": record.closing.result.value,
            "pnl_percent": record.closing.pnl_pct,
            "closed_at": _time(record.closing.closed_at, zone, aware),
            "exit_reason": record.closing.exit_reason.value,
        }
    line |= {f"tp{i}": level for i, level in enumerate(s.targets[2:], start=3)}
    line |= {
        "confidence": s.confidence,
        "reasons": list(s.reasons),
        "tags": list(s.tags),
        "strategy": s.strategy,
        "source": s.source,
        "exchange": s.exchange,
        "market": s.market,
        "receivers": list(s.receivers),
    }
    return line


def activity_line(a: Activity, zone: tzinfo, *, aware: bool = False) -> dict[str, Any]:
    return {
        "timestamp": _time(a.at, zone, aware),
        "user_id": a.user_id,
        "username": a.username,
        "command": a.command,
        "symbol": a.symbol,
        "timeframe": a.timeframe,
    }


@contextmanager
def _atomic(path: Path) -> Iterator[IO[str]]:
    """Write to a temporary file beside `path` and move it into place when complete."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False) + "\n"


def write_legacy_files(
    directory: Path,
    records: Iterable[SignalRecord],
    activities: Iterable[Activity],
    *,
    zone: tzinfo,
    aware: bool = False,
) -> ExportReport:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return _write_all(directory, records, activities, zone=zone, aware=aware)
    except OSError as exc:
        raise InvalidInput(
            "directory", f"cannot write the files there ({exc.strerror}) (got {str(directory)!r})"
        ) from None


def _write_all(
    directory: Path,
    records: Iterable[SignalRecord],
    activities: Iterable[Activity],
    *,
    zone: tzinfo,
    aware: bool,
) -> ExportReport:
    counts: dict[str, int] = {ACTIVE_FILE: 0, COMPLETED_FILE: 0}
    with _atomic(directory / ACTIVE_FILE) as active, _atomic(directory / COMPLETED_FILE) as done:
        for record in records:
            is_open = record.status is Status.ACTIVE
            name = ACTIVE_FILE if is_open else COMPLETED_FILE
            (active if is_open else done).write(_dump(signal_line(record, zone, aware=aware)))
            counts[name] += 1
    by_day: dict[str, list[Activity]] = defaultdict(list)
    for a in activities:
        by_day[a.at.astimezone(zone).date().isoformat()].append(a)
    for day, items in sorted(by_day.items()):
        name = f"prompts_{day}.jsonl"
        with _atomic(directory / name) as handle:
            handle.writelines(_dump(activity_line(a, zone, aware=aware)) for a in items)
        counts[name] = len(items)
    return ExportReport(directory=str(directory), files=counts)
