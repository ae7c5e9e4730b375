"""`Tracker`: the Python API an operator's bot calls (DESIGN §6)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sigtrack.adapters.jsonl import ExportReport, read_legacy_files, write_legacy_files
from sigtrack.adapters.tabular import signals_table, write_table
from sigtrack.bootstrap import App, build_app, build_candle_source, build_settling
from sigtrack.config import Settings, load_settings, parse_zone
from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.advice import Advice, AdviceKind, advise
from sigtrack.core.breakdowns import (
    DEFAULT_MIN_N,
    Breakdown,
    BreakdownKey,
    parse_breakdown_key,
)
from sigtrack.core.comparison import SEED, Comparison, compare
from sigtrack.core.errors import InvalidBatch, InvalidInput, InvalidSignal
from sigtrack.core.filters import SignalFilter, parse_filter
from sigtrack.core.performance import Performance, summarize
from sigtrack.core.records import (
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.report import WeeklyReport, parse_week
from sigtrack.core.report_html import render_weekly_html
from sigtrack.core.report_text import render_weekly_text
from sigtrack.core.signals import (
    Result,
    Signal,
    Status,
    normalize_symbol,
    same_content,
)
from sigtrack.core.stats import WinrateSummary, cohort_start
from sigtrack.core.texts import parse_lang
from sigtrack.core.whatif import DEFAULT_MIN_N as WHATIF_MIN_N
from sigtrack.core.whatif import (
    DEFAULT_STOPS,
    DEFAULT_TARGETS,
    Progress,
    Unit,
    WhatIf,
    whatif_advice,
)
from sigtrack.services.legacy import ImportReport, import_legacy
from sigtrack.services.reports import build_weekly_report
from sigtrack.services.settling import PassReport, SettleHook, SettlingService
from sigtrack.services.statistics import breakdown_for, run_whatif
from sigtrack.services.tracking import SignalInput
from sigtrack.services.views import weekly_json


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


REPORT_FORMATS = ("text", "json", "html")


def _matches(record: SignalRecord, chosen: SignalFilter) -> bool:
    """The filter's fields that `list_signals` does not apply itself."""
    s = record.signal
    checks = (
        (chosen.strategy, s.strategy),
        (chosen.symbol, s.symbol),
        (chosen.side, s.side.value),
        (chosen.timeframe, s.timeframe.value),
        (chosen.source, s.source),
    )
    if any(wanted is not None and wanted != value for wanted, value in checks):
        return False
    if chosen.until is not None and s.created_at >= chosen.until:
        return False
    if chosen.tag is not None and chosen.tag not in s.tags:
        return False
    return chosen.min_confidence is None or (
        s.confidence is not None and s.confidence >= chosen.min_confidence
    )


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now


class Tracker:
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
    def settings(self) -> Settings:
        return self._app.settings

    def dispose(self) -> None:
        self._app.store.dispose()

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
        now = _now(now)
        receivers = tuple(receivers)
        built = self._tracking.build_signal(
            signal, now=now, receivers=receivers or None, strategy=strategy, source=source,
            created_at=created_at,
        )  # fmt: skip
        return self._tracking.track(built, now=now)

    def track_many(
        self, signals: Iterable[SignalInput], *, strict: bool = False, now: datetime | None = None
    ) -> builtins.list[str]:
        """Record several signals in one transaction: all of them, or none when one is bad."""
        now = _now(now)
        return self._tracking.track_many(
            self.validate_many(signals, strict=strict, now=now), now=now
        )

    def validate_many(
        self, signals: Iterable[SignalInput], *, strict: bool = False, now: datetime | None = None
    ) -> builtins.list[Signal]:
        """Check signals without storing them; every bad one is reported at once.

        Raises `InvalidBatch` whose `problems` hold (position, error). `strict` also
        refuses unknown keys in dicts (for files, where a typo must not vanish).
        """
        now = _now(now)
        built: builtins.list[Signal] = []
        problems: builtins.list[tuple[int, InvalidInput]] = []
        for index, signal in enumerate(signals):
            try:
                built.append(self._tracking.build_signal(signal, now=now, strict=strict))
            except InvalidInput as exc:
                problems.append((index, exc))
        problems += _repeated_ids(built)
        if problems:
            raise InvalidBatch(sorted(problems, key=lambda p: p[0]))
        return built

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
    ) -> SignalRecord:
        """Close by hand (win / loss / breakeven). A closed signal needs `override=True`."""
        return self._tracking.close(
            signal_id, result=result, now=_now(now), actor=actor, pnl_pct=pnl_pct, note=note,
            override=override,
        )  # fmt: skip

    def cancel(
        self, signal_id: str, *, actor: str, note: str | None = None, now: datetime | None = None
    ) -> SignalRecord:
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

    # --- statistics ------------------------------------------------------------------

    def stats(
        self,
        by: BreakdownKey | str = BreakdownKey.SYMBOL,
        *,
        days: int | None = 30,
        since: datetime | None = None,
        until: datetime | None = None,
        min_n: int = DEFAULT_MIN_N,
        now: datetime | None = None,
    ) -> Breakdown:
        """Winrate, interval, PnL and expectancy per symbol / timeframe / side / tag /
        strategy / confidence band / hour / weekday, over the last `days` days (display
        zone) or [since, until)."""
        key = parse_breakdown_key(by)
        moment = _now(now)
        if since is None:
            if days is None:
                raise InvalidInput("days", "give days or since")
            since = cohort_start(moment, days, self.settings.zone)
        return breakdown_for(
            self._app.store,
            key,
            since=since,
            until=until or moment + timedelta(microseconds=1),
            zone=self.settings.zone,
            min_n=min_n,
        )

    def compare(
        self, a: SignalFilter | str, b: SignalFilter | str, *, seed: int = SEED
    ) -> Comparison:
        """Signals matching `a` vs `b` (e.g. `strategy=v1` vs `strategy=v2`, or
        `until=2026-11-01` vs `since=2026-11-01`): winrate with Fisher's test, PnL and R
        with bootstrap intervals, and a plain verdict."""
        zone = self.settings.zone
        side_a = a if isinstance(a, SignalFilter) else parse_filter(a, zone, option="a")
        side_b = b if isinstance(b, SignalFilter) else parse_filter(b, zone, option="b")
        store = self._app.store
        return compare(store.load_outcomes(side_a), store.load_outcomes(side_b), seed=seed)

    def performance(self, chosen: SignalFilter | str = "") -> Performance:
        """The full summary (DESIGN §4) of the signals matching a filter."""
        zone = self.settings.zone
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, zone)
        return summarize(self._app.store.load_outcomes(chosen))

    def advise(
        self,
        chosen: SignalFilter | str = "",
        *,
        min_n: int = ADVICE_MIN_N,
        seed: int = SEED,
        candles: Path | str | None = None,
    ) -> Advice:
        """Confidence threshold sweep and credibly negative coins / timeframes / tags,
        each with its evidence; nothing is advised on fewer than `min_n` signals. With
        `candles` (files; or "exchange" for the configured one) the TP/SL what-if adds its
        best cell when it also beat the recorded levels out of sample."""
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, self.settings.zone)
        if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
            raise InvalidInput("min_n", f"must be a whole number >= 1 (got {min_n!r})")
        advice = advise(self._app.store.load_frame(chosen), min_n=min_n, seed=seed)
        if candles is None or (advice.items and advice.items[0].kind is AdviceKind.NOT_ENOUGH):
            return advice
        grid = self.whatif(
            candles=None if str(candles) == "exchange" else candles, chosen=chosen, min_n=min_n
        )
        return replace(advice, items=(*advice.items, *whatif_advice(grid)))

    def weekly(
        self, week: str | None = None, *, min_n: int = DEFAULT_MIN_N, now: datetime | None = None
    ) -> WeeklyReport:
        """The report of an ISO week (`2026-W47`; default: the last complete week)."""
        zone = self.settings.zone
        chosen = parse_week(week, now=_now(now), zone=zone)
        return build_weekly_report(self._app.store, chosen, zone=zone, min_n=min_n)

    def weekly_report(
        self,
        week: str | None = None,
        *,
        fmt: str = "text",
        lang: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """The weekly report rendered as `text` (Telegram), `json` or `html`."""
        if fmt not in REPORT_FORMATS:
            raise InvalidInput("fmt", f"must be one of {', '.join(REPORT_FORMATS)} (got {fmt!r})")
        language = self.settings.lang if lang is None else parse_lang(lang)
        report = self.weekly(week, now=now)
        if fmt == "json":
            return json.dumps(weekly_json(report, language), ensure_ascii=False, indent=2)
        if fmt == "html":
            return render_weekly_html(report, language)
        return render_weekly_text(report, language)

    def whatif(
        self,
        *,
        candles: Path | str | None = None,
        chosen: SignalFilter | str = "",
        targets: Sequence[float] = DEFAULT_TARGETS,
        stops: Sequence[float] = DEFAULT_STOPS,
        unit: Unit | str = Unit.R,
        min_n: int = WHATIF_MIN_N,
        progress: Progress | None = None,
    ) -> WhatIf:
        """Re-settle the recorded signals with a grid of target and stop distances (in R or
        %) on stored candles (files, or the exchange through the cache); the best cells are
        chosen on the earlier 60 % of the record and judged on the later 40 %."""
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, self.settings.zone)
        try:
            unit = Unit(unit)
        except ValueError:
            raise InvalidInput("unit", f"must be r or pct (got {unit!r})") from None
        path = None if candles is None else Path(candles)
        if path is not None and not path.exists():
            raise InvalidInput("candles", f"no such file or folder (got {str(path)!r})")
        source = build_candle_source(self.settings, candles=path)
        return run_whatif(self._app.store, source, self.settings.policy, chosen,
                          targets=targets, stops=stops, unit=unit, min_n=min_n,
                          progress=progress)  # fmt: skip

    # --- tables ------------------------------------------------------------------------

    def to_arrow(self, chosen: SignalFilter | str = "") -> Any:
        """The matching signals as a pyarrow.Table, one row per signal, oldest first."""
        if not isinstance(chosen, SignalFilter):
            chosen = parse_filter(chosen, self.settings.zone)
        store = self._app.store
        return signals_table(
            r for r in store.list_signals(since=chosen.since, oldest_first=True)
            if _matches(r, chosen)
        )  # fmt: skip

    def to_pandas(self, chosen: SignalFilter | str = "") -> Any:
        """The matching signals as a pandas DataFrame (install `sigtrack[pandas]`)."""
        if find_spec("pandas") is None:
            raise InvalidInput("pandas", "is not installed: pip install 'sigtrack[pandas]'")
        return self.to_arrow(chosen).to_pandas()

    def export(
        self, path: Path | str, *, fmt: str = "parquet", chosen: SignalFilter | str = ""
    ) -> int:
        """Write the matching signals to a Parquet or CSV file; returns the rows written."""
        table = self.to_arrow(chosen)
        write_table(table, Path(path), fmt)
        return int(table.num_rows)

    # --- settling from candles ---------------------------------------------------------

    def resolve(
        self,
        *,
        candles: Path | str | None = None,
        symbol: str | None = None,
        now: datetime | None = None,
    ) -> PassReport:
        """One settling pass over the open signals, from candle files or the exchange."""
        return self.settler(candles=candles, symbol=symbol).run_pass(
            now=_now(now), symbols=None if symbol is None else {normalize_symbol(symbol)}
        )

    def settler(
        self, *, candles: Path | str | None = None, symbol: str | None = None
    ) -> SettlingService:
        """The settling service on candle files (or the configured exchange), with the
        hooks registered by `on_settled`."""
        path = None if candles is None else Path(candles)
        if path is not None and not path.exists():
            raise InvalidInput("candles", f"no such file or folder (got {str(path)!r})")
        source = build_candle_source(
            self.settings,
            candles=path,
            # a single file needs to be told its symbol; a folder names its files
            symbol=normalize_symbol(symbol) if symbol and path and path.is_file() else None,
        )
        service = build_settling(self._app, source)
        for hook in self._hooks:
            service.add_hook(hook)
        return service

    def on_settled(self, hook: SettleHook) -> None:
        """Call `hook(settled)` after every TP hit or close a settling pass stores."""
        self._hooks.append(hook)

    # --- the old files ----------------------------------------------------------------

    def import_jsonl(
        self, paths: Sequence[Path | str], *, tz: str | None = None, now: datetime | None = None
    ) -> ImportReport:
        """Import the old tracker's files (or folders holding them); safe to repeat."""
        zone = parse_zone(tz) if tz else self.settings.zone
        batch = read_legacy_files(
            [Path(p) for p in paths], zone=zone, defaults=self.settings.signal_defaults
        )
        return import_legacy(self._app.store, batch, now=_now(now))

    def export_jsonl(
        self, directory: Path | str, *, tz: str | None = None, aware: bool = False
    ) -> ExportReport:
        """Write the old tracker's three kinds of files from the store."""
        zone = parse_zone(tz) if tz else self.settings.zone
        records = self._app.store.list_signals(oldest_first=True)
        return write_legacy_files(
            Path(directory), records, self._app.store.list_activity(), zone=zone, aware=aware
        )

    def list(
        self,
        status: Status | str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[SignalRecord]:
        """Stored signals, newest first; every match unless `limit` is given."""
        return self._tracking.list_signals(status=status, since=since, limit=limit)


__all__ = ["Signal", "Tracker"]
