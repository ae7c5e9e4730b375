"""Recording signals, closing them by hand, logging commands and reading the winrate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import cast

from sigtrack.core.errors import InvalidBatch, InvalidInput, InvalidSignal, StoreUnavailable
from sigtrack.core.journal import Journaled, JournalEntry, OpKind, journal_signal_id, new_op_id
from sigtrack.core.records import (
    Activity,
    Closing,
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.signal_input import signal_from_mapping
from sigtrack.core.signals import (
    MANUAL_RESULTS,
    ExitReason,
    Result,
    Signal,
    SignalDefaults,
    Status,
    check_not_in_future,
    check_signal_id,
    parse_result,
    same_content,
    to_number,
)
from sigtrack.core.stats import WinrateSummary, cohort_start, summarize_winrate
from sigtrack.services.collector import collector_paused
from sigtrack.services.journal import JournalService
from sigtrack.services.ports import NewSignal, SignalStore

SignalInput = Signal | Mapping[str, object]
MAX_NOTE_LEN = 1000
MAX_ACTOR_LEN = 64


def _check_actor(actor: object) -> str:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > MAX_ACTOR_LEN:
        raise InvalidInput(
            "actor", f"must be a name of 1–{MAX_ACTOR_LEN} characters (got {actor!r})"
        )
    return actor.strip()


def _check_note(note: object) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or len(note) > MAX_NOTE_LEN:
        raise InvalidInput(
            "note", f"must be a text of at most {MAX_NOTE_LEN} characters (got {note!r})"
        )
    return note


class TrackingService:
    """The use cases every interface shares. The clock is always an argument."""

    def __init__(
        self,
        store: SignalStore,
        *,
        defaults: SignalDefaults,
        zone: tzinfo,
        journal: JournalService | None = None,
    ) -> None:
        self.store = store
        self.defaults = defaults
        self.zone = zone
        self.journal = journal  # None: a store that cannot be reached is an error

    def _down(self) -> bool:
        return self.journal is not None and self.journal.store_is_down()

    def _journal(self, exc: StoreUnavailable) -> JournalService:
        """The journal to write to after `exc`; without one, `exc` is raised."""
        if self.journal is None:
            raise exc
        self.journal.failed(exc)
        return self.journal

    def build_signal(
        self,
        signal: SignalInput,
        *,
        now: datetime,
        receivers: Iterable[object] | None = None,
        strategy: str | None = None,
        source: str | None = None,
        created_at: datetime | None = None,
        strict: bool = False,
    ) -> Signal:
        """Validate one input (a Signal or a bot's dict) into a Signal ready to store."""
        if isinstance(signal, Signal):
            built = signal
            if receivers is not None:
                built = replace(built, receivers=tuple(receivers))  # type: ignore[arg-type]
            if created_at is not None:
                built = replace(built, created_at=created_at)
        else:
            has_time = isinstance(signal, Mapping) and (
                signal.get("created_at") is not None
                or signal.get("timestamp") is not None
                or signal.get("time") is not None
            )
            built = signal_from_mapping(
                signal,
                defaults=self.defaults,
                created_at=created_at if created_at is not None or has_time else now,
                receivers=receivers if receivers else None,
                strict=strict,
            )
        if strategy is not None:
            built = replace(built, strategy=strategy)
        if source is not None:
            built = replace(built, source=source)
        check_not_in_future(built.created_at, now)
        return built

    def track(self, signal: Signal, *, now: datetime, actor: str = "api") -> str:
        return self.track_many([signal], now=now, actor=actor)[0]

    def record(
        self,
        signal: SignalInput,
        *,
        now: datetime,
        receivers: Iterable[object] | None = None,
        strategy: str | None = None,
        source: str | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """Validate one input (a Signal or the bot's dict), store it and return its id."""
        built = self.build_signal(signal, now=now, receivers=receivers, strategy=strategy,
                                  source=source, created_at=created_at)  # fmt: skip
        return self.track(built, now=now)

    def validate_many(
        self, signals: Iterable[SignalInput], *, now: datetime, strict: bool = False
    ) -> list[Signal]:
        """Check inputs without storing them; every bad one is reported at once.

        Raises `InvalidBatch` whose `problems` hold (position, error). `strict` also
        refuses unknown keys in dicts (for files, where a typo must not vanish).
        """
        built: list[Signal] = []
        problems: list[tuple[int, InvalidInput]] = []
        for index, signal in enumerate(signals):
            try:
                built.append(self.build_signal(signal, now=now, strict=strict))
            except InvalidInput as exc:
                problems.append((index, exc))
        problems += _repeated_ids(built)
        if problems:
            raise InvalidBatch(sorted(problems, key=lambda p: p[0]))
        return built

    def record_many(
        self, signals: Iterable[SignalInput], *, now: datetime, strict: bool = False
    ) -> list[str]:
        """Validate inputs and store them in one transaction: all of them, or none."""
        with collector_paused():
            return self.track_many(self.validate_many(signals, now=now, strict=strict), now=now)

    def track_many(
        self, signals: Sequence[Signal], *, now: datetime, actor: str = "api"
    ) -> list[str]:
        """Store every signal in one transaction, or none of them."""
        if not self._down():
            items = [NewSignal(signal=s, actor=actor) for s in signals]
            try:
                return [o.signal_id for o in self.store.add_signals(items, now=now)]
            except StoreUnavailable as exc:
                journal = self._journal(exc)
        else:
            journal = cast(JournalService, self.journal)
        op_id = new_op_id()
        named = tuple(
            s if s.signal_id else replace(s, signal_id=journal_signal_id(s, op_id, i))
            for i, s in enumerate(signals)
        )
        journal.write(JournalEntry(op_id=op_id, kind=OpKind.TRACK, at=now, actor=actor,
                                   signals=named))  # fmt: skip
        return [s.signal_id or "" for s in named]

    def close(
        self,
        signal_id: str,
        *,
        result: Result | str,
        now: datetime,
        actor: str,
        pnl_pct: float | None = None,
        note: str | None = None,
        override: bool = False,
    ) -> SignalRecord | Journaled:
        """Close an open signal by hand; a closed one only with `override` (kept as history).
        While the store does not answer, the close is journaled (`Journaled`)."""
        check_signal_id(signal_id)
        parsed = parse_result(result)
        if parsed not in MANUAL_RESULTS:
            choices = ", ".join(r.value.lower() for r in MANUAL_RESULTS)
            raise InvalidSignal("result", f"must be one of {choices} (got {result!r})")
        closing = Closing(
            result=parsed,
            exit_reason=ExitReason.MANUAL,
            closed_at=now,
            pnl_pct=None if pnl_pct is None else to_number(pnl_pct, "pnl_pct"),
        )
        return self._close(OpKind.CLOSE, signal_id, closing, actor=actor, note=note,
                           override=override, now=now)  # fmt: skip

    def cancel(
        self, signal_id: str, *, now: datetime, actor: str, note: str | None = None
    ) -> SignalRecord | Journaled:
        check_signal_id(signal_id)
        closing = Closing(result=Result.CANCELLED, exit_reason=ExitReason.MANUAL, closed_at=now)
        return self._close(OpKind.CANCEL, signal_id, closing, actor=actor, note=note,
                           override=False, now=now)  # fmt: skip

    def _close(
        self,
        kind: OpKind,
        signal_id: str,
        closing: Closing,
        *,
        actor: str,
        note: str | None,
        override: bool,
        now: datetime,
    ) -> SignalRecord | Journaled:
        actor, note = _check_actor(actor), _check_note(note)
        if not self._down():
            try:
                return self.store.close(signal_id, closing, actor=actor, note=note,
                                        override=override, now=now)  # fmt: skip
            except StoreUnavailable as exc:
                journal = self._journal(exc)
        else:
            journal = cast(JournalService, self.journal)
        op_id = new_op_id()
        journal.write(JournalEntry(op_id=op_id, kind=kind, at=now, actor=actor,
                                   signal_id=signal_id, closing=closing, note=note,
                                   override=override))  # fmt: skip
        return Journaled(signal_id=signal_id, op_id=op_id, result=closing.result,
                         pnl_pct=closing.pnl_pct, closed_at=now)  # fmt: skip

    def get(self, signal_id: str) -> SignalRecord:
        return self.store.get(check_signal_id(signal_id))

    def events(self, signal_id: str) -> list[SignalEvent]:
        return self.store.events(check_signal_id(signal_id))

    def rebuild_rollups(self) -> int:
        """Recount the daily rollups from every signal (after rows were written or deleted
        outside sigtrack); returns the days recounted."""
        return self.store.rebuild_rollups()

    def list_signals(
        self,
        *,
        status: Status | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[SignalRecord]:
        """Stored signals created in [since, until), newest first; a page of them with
        `limit` and `offset`."""
        if status is not None and not isinstance(status, Status):
            try:
                status = Status(str(status).upper())
            except ValueError:
                raise InvalidInput("status", f"must be active or closed (got {status!r})") from None
        if limit is not None and not _is_count(limit, least=1):
            raise InvalidInput("limit", f"must be a whole number of at least 1 (got {limit!r})")
        if not _is_count(offset, least=0):
            raise InvalidInput("offset", f"must be a whole number of at least 0 (got {offset!r})")
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise InvalidInput(name, f"must carry a time zone (got {moment.isoformat()})")
        return list(self.store.list_signals(status=status, since=since, until=until,
                                            limit=limit, offset=offset))  # fmt: skip

    def track_command(
        self,
        *,
        user_id: int,
        username: str | None,
        command: str,
        now: datetime,
        symbol: str | None = None,
        timeframe: str | None = None,
    ) -> None:
        item = make_activity(user_id, username, command, now, symbol, timeframe)
        if not self._down():
            try:
                self.store.add_activity([item])
                return
            except StoreUnavailable as exc:
                journal = self._journal(exc)
        else:
            journal = cast(JournalService, self.journal)
        journal.write(JournalEntry(op_id=new_op_id(), kind=OpKind.ACTIVITY, at=now,
                                   actor="command", activity=(item,)))  # fmt: skip

    def winrate(self, days: int = 7, *, now: datetime) -> WinrateSummary:
        if now.tzinfo is None:
            raise InvalidInput("now", f"must carry a time zone (got {now.isoformat()})")
        since = cohort_start(now, days, self.zone)
        counts = self.store.result_counts(since, now)
        return summarize_winrate(counts, days=days, since=since, until=now)


def _is_count(value: object, *, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def make_activity(
    user_id: object,
    username: object,
    command: object,
    at: datetime,
    symbol: object = None,
    timeframe: object = None,
) -> Activity:
    """A validated activity line (the old `track_user_command` arguments)."""
    if isinstance(user_id, bool):
        raise InvalidInput("user_id", f"must be a Telegram user id (got {user_id!r})")
    try:
        uid = int(str(user_id).strip())
    except ValueError:
        raise InvalidInput("user_id", f"must be a Telegram user id (got {user_id!r})") from None
    fields = {"username": (username, 64), "command": (command, 64), "symbol": (symbol, 32),
              "timeframe": (timeframe, 16)}  # fmt: skip
    clean: dict[str, str | None] = {}
    for name, (value, limit) in fields.items():
        if value is None and name != "command":
            clean[name] = None
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise InvalidInput(name, f"must be a text of 1–{limit} characters (got {value!r})")
        clean[name] = value.strip()
    if at.tzinfo is None:
        raise InvalidInput("timestamp", f"must carry a time zone (got {at.isoformat()})")
    return Activity(
        at=at, user_id=uid, username=clean["username"], command=clean["command"] or "",
        symbol=clean["symbol"], timeframe=clean["timeframe"],
    )  # fmt: skip


def _repeated_ids(signals: Sequence[Signal]) -> list[tuple[int, InvalidInput]]:
    """A batch that names one id twice with different content can never be stored."""
    first: dict[str, tuple[int, Signal]] = {}
    problems: list[tuple[int, InvalidInput]] = []
    for index, signal in enumerate(signals):
        if signal.signal_id is None:
            continue
        if signal.signal_id not in first:
            first[signal.signal_id] = (index, signal)
            continue
        at, earlier = first[signal.signal_id]
        differences = same_content(earlier, signal)
        if differences:
            reason = f"repeats #{at} with other {', '.join(differences)} (got {signal.signal_id!r})"
            problems.append((index, InvalidSignal("signal_id", reason)))
    return problems
