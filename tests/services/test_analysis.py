"""AnalysisService on in-memory ports: what it asks the store, the candles and the writer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fakes import FakeStore

from factories import bot_signal
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import SignalFilter
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.records import SignalRecord
from sigtrack.core.signals import SignalDefaults
from sigtrack.core.stats import cohort_start
from sigtrack.services.analysis import AnalysisService
from sigtrack.services.ports import CandleSource
from sigtrack.services.tracking import TrackingService

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")


class ListingStore(FakeStore):
    """Lists every record and remembers the filters it was given (the real store applies
    them in SQL: tests/adapters/test_store_filters.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.filters: list[SignalFilter] = []

    def list_matching(self, chosen: SignalFilter) -> Iterator[SignalRecord]:
        self.filters.append(chosen)
        return iter(sorted(self.records.values(), key=lambda r: r.signal.created_at))


class Written:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], Path, str]] = []

    def __call__(self, records: Iterable[SignalRecord], path: Path, fmt: str) -> int:
        ids = [r.signal_id for r in records]
        self.calls.append((ids, path, fmt))
        return len(ids)


def no_candles(*, candles: Path | None = None, symbol: str | None = None) -> CandleSource:
    raise AssertionError("no candles are needed here")


@pytest.fixture
def store() -> ListingStore:
    store = ListingStore()
    tracking = TrackingService(store, defaults=SignalDefaults(), zone=JAKARTA)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        tracking.track(tracking.build_signal(bot_signal(symbol=symbol), now=NOW), now=NOW)
    return store


def service_on(store: ListingStore, writer: Written | None = None) -> AnalysisService:
    return AnalysisService(store=store, zone=JAKARTA, policy=ResolutionPolicy(),
                           candle_sources=no_candles, write_table=writer or Written())  # fmt: skip


def test_a_filter_given_as_text_is_read_in_the_display_zone_and_left_to_the_store(
    store: ListingStore,
) -> None:
    records = list(service_on(store).records("symbol=btc/usdt,since=2026-11-20"))
    assert len(records) == 2  # the store's answer, not filtered again here
    assert store.filters == [
        SignalFilter(symbol="BTCUSDT", since=datetime(2026, 11, 20, tzinfo=JAKARTA))
    ]


def test_a_bad_filter_names_its_key_and_reaches_no_store(store: ListingStore) -> None:
    with pytest.raises(InvalidInput) as caught:
        list(service_on(store).records("colour=red"))
    assert caught.value.field == "filter"
    assert store.filters == []


def test_the_export_writes_what_the_store_lists_through_the_table_port(
    store: ListingStore, tmp_path: Path
) -> None:
    writer = Written()
    rows = service_on(store, writer).export(tmp_path / "t.csv", fmt="csv", chosen="tag=momentum")
    [(ids, path, fmt)] = writer.calls
    assert rows == 2 and len(ids) == 2
    assert (path, fmt) == (tmp_path / "t.csv", "csv")
    assert store.filters == [SignalFilter(tag="momentum")]


def test_a_breakdown_window_is_the_last_days_in_the_display_zone_up_to_now(
    store: ListingStore,
) -> None:
    since, until = service_on(store).window(now=NOW, days=7)
    assert (since, until) == (cohort_start(NOW, 7, JAKARTA), NOW)  # [since, until)


def test_a_breakdown_window_needs_days_or_a_start(store: ListingStore) -> None:
    with pytest.raises(InvalidInput) as caught:
        service_on(store).window(now=NOW, days=None)
    assert caught.value.field == "days"


def test_what_if_opens_the_candle_files_it_is_given_through_the_port(
    store: ListingStore, tmp_path: Path
) -> None:
    asked: list[Path | None] = []

    def sources(*, candles: Path | None = None, symbol: str | None = None) -> CandleSource:
        asked.append(candles)
        raise InvalidInput("candles", f"no such file or folder (got {str(candles)!r})")

    service = AnalysisService(store=store, zone=JAKARTA, policy=ResolutionPolicy(),
                              candle_sources=sources, write_table=Written())  # fmt: skip
    with pytest.raises(InvalidInput):
        service.whatif(candles=str(tmp_path / "missing"))
    assert asked == [tmp_path / "missing"]
