"""The one place that wires adapters into services."""

from __future__ import annotations

from dataclasses import dataclass

from sigtrack.adapters.storage import SqlSignalStore, create_store_engine, migrate
from sigtrack.config import Settings
from sigtrack.services.tracking import TrackingService


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    store: SqlSignalStore
    tracking: TrackingService


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
    return App(settings=settings, store=store, tracking=tracking)
