"""The journal's entries: the writes made while the store could not be reached, one JSON
line each, in the order they were made, until a replay applies them (services/journal.py).

Every entry carries an `op_id`; the store marks each id it applies in the same
transaction, so a replay after a crash mid-replay applies nothing twice. A line that does
not decode — a torn last line after a power loss, or a damaged one — is set aside and
reported, never fatal.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidInput
from sigtrack.core.records import Activity, Closing
from sigtrack.core.signals import ExitReason, Result, Side, Signal, base_signal_id

VERSION = 1
APPLIED, ALREADY_APPLIED = "applied", "already applied"  # what a replay made of an entry
TORN_MARK = " #torn"  # ends a torn line when the next write finds it (adapters/journal)
TORN = "cut short: a write interrupted (by a crash or a power loss)"


class OpKind(StrEnum):
    TRACK = "track"  # one or more signals, all or nothing
    CLOSE = "close"  # a close by hand (or a correction with override)
    CANCEL = "cancel"
    ACTIVITY = "activity"  # user commands (track_user_command)


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    op_id: str
    kind: OpKind
    at: datetime  # when the call was made, aware UTC
    actor: str = "api"
    signals: tuple[Signal, ...] = ()  # TRACK: each with the id it will have in the store
    signal_id: str | None = None  # CLOSE / CANCEL
    closing: Closing | None = None
    note: str | None = None
    override: bool = False
    activity: tuple[Activity, ...] = ()

    @property
    def signal_ids(self) -> tuple[str, ...]:
        if self.kind is OpKind.TRACK:
            return tuple(s.signal_id or "" for s in self.signals)
        return (self.signal_id,) if self.signal_id else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Journaled:
    """A close or cancel kept in the journal (the store did not answer); the store gets
    it when it answers again."""

    signal_id: str
    op_id: str
    result: Result
    pnl_pct: float | None
    closed_at: datetime


def journal_signal_id(signal: Signal, op_id: str, index: int) -> str:
    """The id a signal tracked while the store is down will have there: the old scheme's
    `{user}_{SYMBOL}_{seconds}`, made unique by its journal entry (the store, which would
    number repeats, cannot be asked)."""
    base = base_signal_id(signal.user_id, signal.symbol, signal.created_at)
    return f"{base}_j{op_id[:10]}{index or ''}"


def new_op_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class BadLine:
    number: int  # 1-based line of the journal file
    text: str
    reason: str
    torn: bool  # the last line, cut short (no newline): a write a crash interrupted


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalContents:
    entries: tuple[JournalEntry, ...]
    bad: tuple[BadLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayReport:
    applied: int = 0
    already: int = 0  # marked by an earlier, interrupted replay
    refused: tuple[tuple[JournalEntry, str], ...] = ()  # the store refused them (and why)
    set_aside: tuple[BadLine, ...] = ()  # lines that did not decode (a torn last line …)
    error: str | None = None  # the store stopped answering: the rest stays for next time

    @property
    def total(self) -> int:
        return self.applied + self.already + len(self.refused)


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalStatus:
    backlog: int  # operations waiting to be applied
    signals: int  # signals among them (tracked while the store was down)
    bad_lines: int  # lines of the waiting journal that will be set aside
    set_aside_files: tuple[str, ...]  # earlier lines set aside, kept for a person to read
    store_down_since: datetime | None  # None: the store answers (as far as this process knows)
    last_error: str | None


# --- encoding ---------------------------------------------------------------------


def encode(entry: JournalEntry) -> str:
    """One line (with its newline) of plain JSON; times as ISO-8601 with their offset."""
    data: dict[str, Any] = {"v": VERSION, "op_id": entry.op_id, "op": entry.kind.value,
                            "at": entry.at.isoformat(), "actor": entry.actor}  # fmt: skip
    if entry.kind is OpKind.TRACK:
        data["signals"] = [_signal_json(s) for s in entry.signals]
    elif entry.kind is OpKind.ACTIVITY:
        data["activity"] = [_activity_json(a) for a in entry.activity]
    else:
        assert entry.closing is not None
        data |= {"signal_id": entry.signal_id, "note": entry.note, "override": entry.override,
                 "closing": _closing_json(entry.closing)}  # fmt: skip
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


def decode(text: str) -> JournalContents:
    """Every entry of a journal file's text, in order; lines that do not decode apart."""
    entries: list[JournalEntry] = []
    bad: list[BadLine] = []
    lines = text.split("\n")
    last = len(lines) - 1  # the piece after the final newline: "" when the file is whole
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        torn = number - 1 == last or line.endswith(TORN_MARK)
        if torn:  # even whole JSON: the call that wrote it never returned
            bad.append(BadLine(number=number, text=line, reason=TORN, torn=True))
            continue
        try:
            entries.append(_entry(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            bad.append(BadLine(number=number, text=line, reason=f"{type(exc).__name__}: {exc}",
                               torn=False))  # fmt: skip
    return JournalContents(entries=tuple(entries), bad=tuple(bad))


def _entry(data: dict[str, Any]) -> JournalEntry:
    if data.get("v") != VERSION:
        raise InvalidInput("v", f"must be journal version {VERSION} (got {data.get('v')!r})")
    kind = OpKind(data["op"])
    base: dict[str, Any] = {"op_id": str(data["op_id"]), "kind": kind, "at": _time(data["at"]),
            "actor": str(data["actor"])}  # fmt: skip
    if kind is OpKind.TRACK:
        return JournalEntry(**base, signals=tuple(_signal(s) for s in data["signals"]))
    if kind is OpKind.ACTIVITY:
        return JournalEntry(**base, activity=tuple(_activity(a) for a in data["activity"]))
    return JournalEntry(**base, signal_id=str(data["signal_id"]), note=data.get("note"),
                        override=bool(data.get("override", False)),
                        closing=_closing(data["closing"]))  # fmt: skip


def _time(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise InvalidInput("at", f"must carry a time zone (got {value!r})")
    return moment


_LISTS = ("targets", "reasons", "tags", "receivers")


def _signal_json(s: Signal) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields(Signal):
        value = getattr(s, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Side | Timeframe):
            value = value.value
        data[f.name] = value
    return data


def _signal(data: dict[str, Any]) -> Signal:
    values = dict(data)
    values["side"] = Side(values["side"])
    values["timeframe"] = Timeframe(values["timeframe"])
    values["created_at"] = _time(values["created_at"])
    for name in _LISTS:
        values[name] = tuple(values[name])
    return Signal(**values)  # checks every rule again: a damaged line is refused


def _closing_json(c: Closing) -> dict[str, Any]:
    return {"result": c.result.value, "exit_reason": c.exit_reason.value,
            "closed_at": c.closed_at.isoformat(), "pnl_pct": c.pnl_pct}  # fmt: skip


def _closing(data: dict[str, Any]) -> Closing:
    pnl = data.get("pnl_pct")
    return Closing(result=Result(data["result"]), exit_reason=ExitReason(data["exit_reason"]),
                   closed_at=_time(data["closed_at"]),
                   pnl_pct=None if pnl is None else float(pnl))  # fmt: skip


def _activity_json(a: Activity) -> dict[str, Any]:
    return {"at": a.at.isoformat(), "user_id": a.user_id, "username": a.username,
            "command": a.command, "symbol": a.symbol, "timeframe": a.timeframe}  # fmt: skip


def _activity(data: dict[str, Any]) -> Activity:
    return Activity(at=_time(data["at"]), user_id=int(data["user_id"]),
                    username=data.get("username"), command=str(data["command"]),
                    symbol=data.get("symbol"), timeframe=data.get("timeframe"))  # fmt: skip
