"""`Tracker`: the Python API an operator's bot calls (DESIGN §6)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from sigtrack.bootstrap import App, build_app
from sigtrack.config import Settings, load_settings, parse_zone
from sigtrack.core.journal import Journaled
from sigtrack.core.records import SignalEvent, SignalRecord
from sigtrack.core.signals import Result, Signal, Status, normalize_symbol
from sigtrack.core.stats import WinrateSummary
from sigtrack.services.legacy import ExportReport, ImportReport
from sigtrack.services.settling import OnProgress, PassReport, SettleHook, SettlingService
from sigtrack.services.tracking import SignalInput
from sigtrack.tracker.analysis import Analysis
from sigtrack.tracker.analysis import now_or_clock as _now


class Tracker(Analysis):
    """Record signals, close them, read the winrate. Every method takes an optional `now`.

    >>> tracker = Tracker.open("sqlite:///signal_logs/sigtrack.db")
    >>> signal_id = tracker.track(sig, receivers=[123456])
    """

    def __init__(self, app: App) -> None:
        self._app = app
        self._tracking = app.tracking
        self._hooks: builtins.list[SettleHook] = []

    @classmethod
    def open(cls, url: str | None = None, *, settings: Settings | None = None) -> Self:
        """Open (creating or migrating when needed) the store at `url` or from the settings."""
        if settings is None:
            settings = load_settings(database_url=url)
        elif url is not None:
            settings = replace(settings, database_url=url)
        return cls(build_app(settings))

    @classmethod
    def from_env(cls) -> Self:
        """Open the store named by `SIGTRACK_DATABASE_URL` (or the SQLite default)."""
        return cls(build_app(load_settings()))

    @property
    def app(self) -> App:
        """The services this facade calls, for interfaces built beside it (CLI, bot, API)."""
        return self._app

    def dispose(self) -> None:
        self._app.store.dispose()

    def rebuild_rollups(self) -> int:
        """Recount the daily rollups that long windows read, from every stored signal.

        Only needed after signals were written or deleted outside sigtrack (in SQL);
        sigtrack's own writes keep them up. Returns the days recounted."""
        return self._tracking.rebuild_rollups()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.dispose()

    # --- writing ----------------------------------------------------------------------

    def track(
        self,
        signal: SignalInput,
        *,
        receivers: Iterable[int] = (),
        strategy: str | None = None,
        source: str | None = None,
        created_at: datetime | None = None,
        now: datetime | None = None,
    ) -> str:
        """Record one signal (a `Signal` or the bot's dict) and return its id."""
        return self._tracking.record(
            signal, now=_now(now), receivers=tuple(receivers) or None, strategy=strategy,
            source=source, created_at=created_at,
        )  # fmt: skip

    def track_many(
        self, signals: Iterable[SignalInput], *, strict: bool = False, now: datetime | None = None
    ) -> builtins.list[str]:
        """Record several signals in one transaction: all of them, or none when one is bad."""
        return self._tracking.record_many(signals, now=_now(now), strict=strict)

    def validate_many(
        self, signals: Iterable[SignalInput], *, strict: bool = False, now: datetime | None = None
    ) -> builtins.list[Signal]:
        """Check signals without storing them; every bad one is reported at once.

        Raises `InvalidBatch` whose `problems` hold (position, error). `strict` also
        refuses unknown keys in dicts (for files, where a typo must not vanish).
        """
        return self._tracking.validate_many(signals, now=_now(now), strict=strict)

    def close(
        self,
        signal_id: str,
        *,
        result: Result | str,
        actor: str,
        pnl_pct: float | None = None,
        note: str | None = None,
        override: bool = False,
        now: datetime | None = None,
    ) -> SignalRecord | Journaled:
        """Close by hand (win / loss / breakeven). A closed signal needs `override=True`.
        While the store does not answer, the close is journaled and a `Journaled` returned."""
        return self._tracking.close(
            signal_id, result=result, now=_now(now), actor=actor, pnl_pct=pnl_pct, note=note,
            override=override,
        )  # fmt: skip

    def cancel(
        self, signal_id: str, *, actor: str, note: str | None = None, now: datetime | None = None
    ) -> SignalRecord | Journaled:
        return self._tracking.cancel(signal_id, now=_now(now), actor=actor, note=note)

    def track_command(
        self,
        user_id: int,
        username: str | None,
        command: str,
        symbol: str | None = None,
        timeframe: str | None = None,
        *,
        now: datetime | None = None,
    ) -> None:
        """Log a user's command (the old `track_user_command`)."""
        self._tracking.track_command(
            user_id=user_id, username=username, command=command, now=_now(now), symbol=symbol,
            timeframe=timeframe,
        )  # fmt: skip

    # --- reading ----------------------------------------------------------------------

    def get(self, signal_id: str) -> SignalRecord:
        return self._tracking.get(signal_id)

    def events(self, signal_id: str) -> builtins.list[SignalEvent]:
        return self._tracking.events(signal_id)

    def winrate(self, days: int = 7, *, now: datetime | None = None) -> WinrateSummary:
        """Winrate of the signals created in the last `days` days (display zone)."""
        return self._tracking.winrate(days, now=_now(now))

    # --- settling from candles ---------------------------------------------------------

    def resolve(
        self,
        *,
        candles: Path | str | None = None,
        symbol: str | None = None,
        now: datetime | None = None,
        progress: OnProgress | None = None,
    ) -> PassReport:
        """One settling pass over the open signals, from candle files or the exchange;
        `progress(done, total)` hears how far it is."""
        return self.settler(candles=candles, symbol=symbol).run_pass(
            now=_now(now),
            symbols=None if symbol is None else {normalize_symbol(symbol)},
            progress=progress,
        )

    def settler(
        self, *, candles: Path | str | None = None, symbol: str | None = None
    ) -> SettlingService:
        """The settling service on candle files (or the configured exchange), with the
        hooks registered by `on_settled`."""
        path = None if candles is None else Path(candles)
        return self._app.settling(candles=path, symbol=symbol, hooks=self._hooks)

    def on_settled(self, hook: SettleHook) -> None:
        """Call `hook(settled)` after every TP hit or close a settling pass stores."""
        self._hooks.append(hook)

    # --- the old files ----------------------------------------------------------------

    def import_jsonl(
        self, paths: Sequence[Path | str], *, tz: str | None = None, now: datetime | None = None
    ) -> ImportReport:
        """Import the old tracker's files (or folders holding them); safe to repeat."""
        zone = parse_zone(tz) if tz else None
        return self._app.legacy.import_files([Path(p) for p in paths], now=_now(now), zone=zone)

    def export_jsonl(
        self, directory: Path | str, *, tz: str | None = None, aware: bool = False
    ) -> ExportReport:
        """Write the old tracker's three kinds of files from the store."""
        zone = parse_zone(tz) if tz else None
        return self._app.legacy.export_files(Path(directory), zone=zone, aware=aware)

    def list(
        self,
        status: Status | str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[SignalRecord]:
        """Stored signals, newest first; every match unless `limit` is given."""
        return self._tracking.list_signals(status=status, since=since, limit=limit)


__all__ = ["Signal", "Tracker"]
