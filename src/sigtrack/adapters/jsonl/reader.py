"""Read `active_signals.jsonl`, `completed_signals.jsonl` and `prompts_YYYY-MM-DD.jsonl`.

Naive timestamps (the old tracker wrote local time) are read in the given zone; an
aware one is honoured. A line that cannot be used is reported as `file:line: reason`
and skipped; the rest of the file goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from pathlib import Path

from sigtrack.core.errors import InvalidSignal, SigtrackError
from sigtrack.core.records import (
    Activity,
    Closing,
)
from sigtrack.core.signal_input import json_problem, parse_datetime, signal_from_mapping
from sigtrack.core.signals import (
    ExitReason,
    SignalDefaults,
    check_signal_id,
    parse_result,
    to_number,
)
from sigtrack.services.legacy import (
    FileKind,
    LegacyActivity,
    LegacyBatch,
    LegacySignal,
    LineRef,
)
from sigtrack.services.ports import NewSignal
from sigtrack.services.tracking import make_activity

ACTOR = "import"
_PROMPTS_RE = re.compile(r"prompts_\d{4}-\d{2}-\d{2}.*\.jsonl")
_CLOSED_STATUSES = {"CLOSED", "COMPLETED", "DONE"}


def file_kind(path: Path) -> FileKind | None:
    name = path.name
    if name.startswith("active_signals") and name.endswith(".jsonl"):
        return FileKind.ACTIVE
    if name.startswith("completed_signals") and name.endswith(".jsonl"):
        return FileKind.COMPLETED
    if _PROMPTS_RE.fullmatch(name):
        return FileKind.PROMPTS
    return None


def _expand(paths: Iterable[Path], problems: list[str]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and file_kind(p))
            if not found:
                problems.append(
                    f"{path}: no old tracker files in this folder (expected active_signals.jsonl, "
                    "completed_signals.jsonl or prompts_YYYY-MM-DD.jsonl)"
                )
            yield from found
        else:
            yield path


def read_legacy_files(
    paths: Iterable[Path], *, zone: tzinfo, defaults: SignalDefaults = SignalDefaults()
) -> LegacyBatch:
    """Parse the files (or the known files inside folders); nothing is stored here."""
    batch = LegacyBatch()
    for path in _expand(paths, batch.problems):
        kind = file_kind(path)
        if kind is None:
            batch.problems.append(
                f"{path}: not an old tracker file (expected active_signals.jsonl, "
                "completed_signals.jsonl or prompts_YYYY-MM-DD.jsonl); skipped"
            )
            continue
        try:
            handle = path.open(encoding="utf-8", errors="replace")
        except OSError as exc:
            batch.problems.append(f"{path}: cannot read ({exc.strerror}); skipped")
            continue
        batch.files.append(str(path))
        with handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                batch.lines += 1
                _read_line(batch, LineRef(str(path), number), raw, kind, zone, defaults)
    return batch


def _read_line(
    batch: LegacyBatch,
    ref: LineRef,
    raw: str,
    kind: FileKind,
    zone: tzinfo,
    defaults: SignalDefaults,
) -> None:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        batch.problems.append(f"{ref}: {json_problem(exc)}")
        return
    if not isinstance(data, dict):
        batch.problems.append(f"{ref}: expected a JSON object (got {type(data).__name__})")
        return
    try:
        if kind is FileKind.PROMPTS:
            batch.activities.append(LegacyActivity(ref=ref, activity=_activity(data, zone)))
        else:
            batch.signals.append(_signal(data, ref, kind, zone, defaults, batch.warnings))
    except SigtrackError as exc:
        batch.problems.append(f"{ref}: {exc}")


def _activity(data: Mapping[str, object], zone: tzinfo) -> Activity:
    at = parse_datetime(data.get("timestamp"), "timestamp", zone)
    return make_activity(
        data.get("user_id"), data.get("username"), data.get("command"), at,
        data.get("symbol") or None, data.get("timeframe") or None,
    )  # fmt: skip


def _signal(
    data: Mapping[str, object],
    ref: LineRef,
    kind: FileKind,
    zone: tzinfo,
    defaults: SignalDefaults,
    warnings: list[str],
) -> LegacySignal:
    check_signal_id(data.get("signal_id"))
    legacy_defaults = SignalDefaults(
        strategy=defaults.strategy, source="legacy", exchange=defaults.exchange,
        market=defaults.market, tag_rules=defaults.tag_rules,
    )  # fmt: skip
    signal = signal_from_mapping(data, defaults=legacy_defaults, naive_tz=zone)
    closing = _closing(data, signal.created_at, zone, ref, warnings)
    if kind is FileKind.COMPLETED and closing is None:
        warnings.append(f"{ref}: in the completed file without a result; kept as open")
    return LegacySignal(
        ref=ref, kind=kind, item=NewSignal(signal=signal, closing=closing, actor=ACTOR)
    )


def _closing(
    data: Mapping[str, object],
    created_at: datetime,
    zone: tzinfo,
    ref: LineRef,
    warnings: list[str],
) -> Closing | None:
    status = str(data.get("status") or "").strip().upper()
    raw_result = data.get("result")
    if raw_result is None and isinstance(data.get("hit_tp"), bool):
        raw_result = "WIN" if data["hit_tp"] else "LOSS"
    if raw_result is None:
        if status in _CLOSED_STATUSES:
            warnings.append(f"{ref}: status {status} without a result; kept as open")
        return None
    result = parse_result(raw_result)
    reason = data.get("exit_reason")
    exit_reason = (
        ExitReason(reason)
        if isinstance(reason, str) and reason in set(ExitReason)
        else ExitReason.MANUAL
    )
    if data.get("closed_at") is not None:
        closed_at = parse_datetime(data["closed_at"], "closed_at", zone)
        if closed_at < created_at:
            raise InvalidSignal(
                "closed_at",
                f"is before the signal's timestamp (got {data['closed_at']!r})",
            )
    else:
        warnings.append(f"{ref}: closed without closed_at; used the signal's own time")
        closed_at = created_at
    pnl = data.get("pnl_percent", data.get("pnl_pct"))
    return Closing(
        result=result,
        exit_reason=exit_reason,
        closed_at=closed_at,
        pnl_pct=None if pnl is None else to_number(pnl, "pnl_percent"),
    )
