"""The one place that wires adapters into services."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from sigtrack.adapters.journal import JournalFile
from sigtrack.adapters.jsonl import read_legacy_files, write_legacy_files
from sigtrack.adapters.market.cache import CachedCandleSource
from sigtrack.adapters.market.files import FileCandleSource
from sigtrack.adapters.storage import SqlSignalStore, create_store_engine, migrate, sqlite_url_for
from sigtrack.adapters.storage.dump import StoreDump
from sigtrack.adapters.tabular import signals_table, write_table
from sigtrack.config import Settings, mask_url
from sigtrack.core.errors import InvalidInput, StoreUnavailable
from sigtrack.core.jobs import JobName
from sigtrack.core.records import SignalRecord
from sigtrack.core.render.jobs import notice_html
from sigtrack.core.schedule import Grace
from sigtrack.core.signals import normalize_symbol
from sigtrack.services.analysis import AnalysisService
from sigtrack.services.announcements import AnnouncementService
from sigtrack.services.backups import BackupService
from sigtrack.services.feedback import FeedbackService
from sigtrack.services.jobs import Job, JobsService
from sigtrack.services.journal import JournalService
from sigtrack.services.legacy import LegacyService
from sigtrack.services.ports import BackupTarget, CandleSource
from sigtrack.services.scheduled import Send, backup_job, weekly_report_job
from sigtrack.services.settling import SettleHook, SettlingService, run_monitor
from sigtrack.services.status import StatusService
from sigtrack.services.tracking import TrackingService

if TYPE_CHECKING:
    from sigtrack.adapters.http import ApiServices
    from sigtrack.adapters.telegram import Access, BotServices


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    store: SqlSignalStore
    journal: JournalService  # where writes go while the store does not answer
    tracking: TrackingService
    analysis: AnalysisService
    legacy: LegacyService
    status: StatusService
    feedback: FeedbackService
    announcements: AnnouncementService
    backups: BackupService

    def settling(
        self,
        *,
        candles: Path | None = None,
        symbol: str | None = None,
        hooks: Sequence[SettleHook] = (),
        announce: bool | None = None,
    ) -> SettlingService:
        """The settling service on candle files (a folder, or one file of `symbol`) or the
        configured exchange, telling `hooks` of every TP hit and close it stores.

        With `announce` (default: when an announcements chat is set) each TP hit and close
        is also queued in the outbox, in the transaction that stores it, for the bot to post.
        """
        source = build_candle_source(
            self.settings,
            candles=candles,
            # a single file needs to be told its symbol; a folder names its files
            symbol=normalize_symbol(symbol) if symbol and candles and candles.is_file() else None,
        )
        if announce is None:
            announce = bool(self.settings.announce_chat)
        return SettlingService(
            self.store, source, self.settings.policy, hooks=hooks, announce=announce
        )


def build_app(settings: Settings, *, run_migrations: bool = True) -> App:
    """Open the store named by the settings (migrating it unless told not to)."""
    engine = create_store_engine(
        settings.resolved_database_url,
        busy_timeout_s=settings.sqlite_busy_timeout_s,
        sqlite_synchronous=settings.sqlite_synchronous,
    )
    unmigrated = None
    if run_migrations:
        try:
            migrate(engine)
        except StoreUnavailable as exc:  # the journal keeps the writes; migrated on replay
            unmigrated = exc
        except BaseException:
            engine.dispose()
            raise
    store = SqlSignalStore(engine)
    journal = JournalService(store=store, file=JournalFile(settings.journal_dir),
                             prepare=lambda: migrate(engine))  # fmt: skip
    if unmigrated is not None:
        journal.failed(unmigrated)
    tracking = TrackingService(store, defaults=settings.signal_defaults, zone=settings.zone,
                               journal=journal)  # fmt: skip
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
    return App(
        settings=settings,
        store=store,
        journal=journal,
        tracking=tracking,
        analysis=analysis,
        legacy=legacy,
        status=StatusService(
            store=store,
            zone=settings.zone,
            journal=journal.status,
            store_name=mask_url(settings.resolved_database_url),
        ),
        feedback=FeedbackService(store=store, zone=settings.zone),
        announcements=AnnouncementService(store=store),
        backups=BackupService(
            dumper=StoreDump(engine),
            export_jsonl=lambda folder: legacy.export_files(folder, aware=True),
            open_scratch=_scratch_store,
            sigtrack_version=installed_version(),
            keep_daily=settings.backup_keep_daily,
            keep_weekly=settings.backup_keep_weekly,
            zone=settings.zone,
        ),
    )


def installed_version() -> str:
    """sigtrack's version as installed (the package's `__version__` imports this module)."""
    try:
        return metadata.version("sigtrack")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


@contextmanager
def _scratch_store(path: Path) -> Iterator[StoreDump]:
    """An empty SQLite store at `path`, migrated, for proving a backup restores."""
    engine = create_store_engine(sqlite_url_for(path))
    try:
        migrate(engine)
        yield StoreDump(engine)
    finally:
        engine.dispose()


def backup_targets(settings: Settings, specs: Sequence[str] = ()) -> list[BackupTarget]:
    """The targets named by `specs` (`--to`), else by SIGTRACK_BACKUP_TO, else the data
    folder's `backups/` (a backup is never skipped for want of a setting)."""
    from sigtrack.adapters.backup import open_target  # noqa: PLC0415

    chosen = specs or settings.backup_to or (str(settings.data_dir / "backups"),)
    return [open_target(spec, endpoint_url=settings.s3_endpoint_url or None) for spec in chosen]


def backup_at(settings: Settings, spec: str) -> tuple[BackupTarget, str | None]:
    """The target and the backup (None: the newest) that `spec` names: a target, or one
    backup's folder or URL."""
    from sigtrack.adapters.backup import open_backup  # noqa: PLC0415

    return open_backup(spec, endpoint_url=settings.s3_endpoint_url or None)


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


def bot_services(app: App) -> BotServices:
    """The services the Telegram bot's handlers call, in the configured zone and language."""
    from sigtrack.adapters.telegram import BotServices  # noqa: PLC0415 — needs the telegram extra

    return BotServices(
        tracking=app.tracking,
        analysis=app.analysis,
        status=app.status,
        feedback=app.feedback,
        announcements=app.announcements,
        zone=app.settings.zone,
        lang=app.settings.lang,
        backup_now=lambda now: app.backups.backup(backup_targets(app.settings), now=now),
    )


def api_services(app: App, *, send: Send | None = None) -> ApiServices:
    """The services the HTTP API's routes call, in the configured zone and language."""
    from sigtrack.adapters.http import ApiServices  # noqa: PLC0415 — FastAPI loads in `serve`

    return ApiServices(
        tracking=app.tracking,
        analysis=app.analysis,
        status=app.status,
        jobs=jobs_service(app, send=send),
        zone=app.settings.zone,
        lang=app.settings.lang,
    )


def bot_access(settings: Settings) -> Access:
    """Who may do what: the admins of ADMIN_IDS / ADMIN1…9, and /winrate when public."""
    from sigtrack.adapters.telegram import Access  # noqa: PLC0415

    return Access.of(settings.admin_ids, public_winrate=settings.public_winrate)


def monitor_loop(
    app: App, *, candles: Path | None = None, announce: bool | None = None
) -> Callable[[threading.Event], int]:
    """The settling monitor as a function of its stop event (for a background thread)."""
    service = app.settling(candles=candles, announce=announce)

    def loop(stop: threading.Event) -> int:
        return run_monitor(service, every_s=app.settings.monitor_every_s, stop=stop,
                           clock=lambda: datetime.now(UTC))  # fmt: skip

    return loop


def journal_loop(app: App) -> Callable[[threading.Event], None]:
    """The journal's replayer as a function of its stop event (for a background thread)."""
    return app.journal.keep_replaying


def jobs_service(app: App, *, send: Send | None) -> JobsService:
    """The weekly report and the backup on the run ledger; `send` tells the admins
    (None: no bot token — the jobs that need it fail, and say why)."""
    settings = app.settings

    def tell(key: str, values: Mapping[str, object]) -> None:
        if send is not None:
            send(notice_html(key, values, settings.zone, settings.lang))

    weekly = weekly_report_job(
        app.analysis,
        lang=settings.lang,
        send=send,
        write_page=partial(write_page, settings.data_dir / "reports"),
    )
    jobs = [
        Job(name=JobName.WEEKLY_REPORT.value, schedule=settings.weekly_report_schedule,
            grace=Grace.DAY, run=weekly),
        *backup_jobs(app),
    ]  # fmt: skip
    return JobsService(app.store, jobs, zone=settings.zone, notify=tell if send else None)


def backup_jobs(app: App) -> list[Job]:
    """The daily backup to every target, verified (services/scheduled.py)."""
    run = backup_job(app.backups, lambda: backup_targets(app.settings))
    return [Job(name=JobName.BACKUP.value, schedule=app.settings.backup_schedule,
                grace=Grace.PERIOD, run=run)]  # fmt: skip


def write_page(folder: Path, name: str, html: str) -> str:
    """Write an HTML page atomically (a temporary name, then rename); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    temporary = path.with_name(f".{name}.tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)
    return str(path)
