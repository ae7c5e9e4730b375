"""The one place that wires adapters into services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sigtrack.adapters.jsonl import read_legacy_files, write_legacy_files
from sigtrack.adapters.market.cache import CachedCandleSource
from sigtrack.adapters.market.files import FileCandleSource
from sigtrack.adapters.storage import SqlSignalStore, create_store_engine, migrate
from sigtrack.adapters.tabular import signals_table, write_table
from sigtrack.config import Settings
from sigtrack.core.errors import InvalidInput
from sigtrack.core.records import SignalRecord
from sigtrack.core.signals import normalize_symbol
from sigtrack.services.analysis import AnalysisService
from sigtrack.services.legacy import LegacyService
from sigtrack.services.ports import CandleSource
from sigtrack.services.settling import SettleHook, SettlingService
from sigtrack.services.tracking import TrackingService


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    store: SqlSignalStore
    tracking: TrackingService
    analysis: AnalysisService
    legacy: LegacyService

    def settling(
        self,
        *,
        candles: Path | None = None,
        symbol: str | None = None,
        hooks: Sequence[SettleHook] = (),
    ) -> SettlingService:
        """The settling service on candle files (a folder, or one file of `symbol`) or the
        configured exchange, telling `hooks` of every TP hit and close it stores."""
        source = build_candle_source(
            self.settings,
            candles=candles,
            # a single file needs to be told its symbol; a folder names its files
            symbol=normalize_symbol(symbol) if symbol and candles and candles.is_file() else None,
        )
        return SettlingService(self.store, source, self.settings.policy, hooks=hooks)


def build_app(settings: Settings, *, run_migrations: bool = True) -> App:
    """Open the store named by the settings (migrating it unless told not to)."""
    engine = create_store_engine(
        settings.resolved_database_url,
        busy_timeout_s=settings.sqlite_busy_timeout_s,
        sqlite_synchronous=settings.sqlite_synchronous,
    )
    if run_migrations:
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
    store = SqlSignalStore(engine)
    tracking = TrackingService(store, defaults=settings.signal_defaults, zone=settings.zone)
    analysis = AnalysisService(
        store=store,
        zone=settings.zone,
        policy=settings.policy,
        candle_sources=partial(build_candle_source, settings),
        write_table=write_signals_table,
    )
    legacy = LegacyService(
        store,
        read=read_legacy_files,
        write=write_legacy_files,
        defaults=settings.signal_defaults,
        zone=settings.zone,
    )
    return App(settings=settings, store=store, tracking=tracking, analysis=analysis, legacy=legacy)


def build_candle_source(
    settings: Settings, *, candles: Path | None = None, symbol: str | None = None
) -> CandleSource:
    """Candle files when given (a folder of SYMBOL.csv / .parquet, or one file with
    `symbol`), else the configured exchange behind the Parquet cache."""
    if candles is not None and not candles.exists():
        raise InvalidInput("candles", f"no such file or folder (got {str(candles)!r})")
    if candles is not None:
        return FileCandleSource(candles, symbol=symbol)
    # ccxt takes about a second to import: only a pass that reads the exchange pays it
    from sigtrack.adapters.market.exchange import CcxtCandleSource  # noqa: PLC0415

    exchange = CcxtCandleSource(
        settings.exchange,
        settings.market,
        api_url=settings.exchange_url or None,
        timeout_s=settings.exchange_timeout_s,
        max_retries=settings.exchange_max_retries,
        backoff_s=settings.exchange_backoff_s,
    )
    return CachedCandleSource(exchange, settings.resolved_candles_dir)


def write_signals_table(records: Iterable[SignalRecord], path: Path, fmt: str) -> int:
    """The signals as one Parquet or CSV table at `path`; returns the rows written."""
    table = signals_table(records)
    write_table(table, path, fmt)
    return int(table.num_rows)
