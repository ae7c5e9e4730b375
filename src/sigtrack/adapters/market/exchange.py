"""Final 1-minute candles from an exchange through ccxt, with retries and gap re-reads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import ccxt  # type: ignore[import-untyped]
import numpy as np

from sigtrack.adapters.market.paging import Page, Row, read_minutes
from sigtrack.adapters.market.ranges import ceil_minute, final_end_ms
from sigtrack.core.candles import Candles
from sigtrack.core.errors import InvalidInput, MarketDataError, UnknownSymbol

logger = logging.getLogger(__name__)

T = TypeVar("T")

# (exchange, market) → ccxt class and the options it needs; other exchanges use their
# own ccxt id with options.defaultType = market.
_BINANCE = {
    "usdm": ("binanceusdm", {}),
    "spot": ("binance", {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}}),
    "coinm": ("binancecoinm", {"defaultType": "swap"}),
}
_DEFAULT_PAGE_ROWS = 500
# A longer wait asked by Retry-After is a ban, not a hiccup: give up and say so.
MAX_RETRY_AFTER_S = 60.0


class CcxtCandleSource:
    """A `CandleSource` reading 1-minute OHLCV from an exchange through ccxt.

    `now_ms` is the clock that decides which candles are final; None uses the exchange's
    server time (one `time` request per read) when ccxt has it, else the local clock.
    `api_url` sends every REST call to that origin instead (a loopback fake in tests).
    Retries cover network errors, timeouts, 429/418 (waiting at least Retry-After) and
    5xx answers; `max_retries` retries after the first attempt, waiting
    `backoff_s * 2**n` before retry n + 1. `rate_limit_ms` overrides ccxt's request
    spacing unit; `sleep` is the pause between retries.
    """

    def __init__(
        self,
        exchange: str = "binance",
        market: str = "usdm",
        *,
        api_url: str | None = None,
        timeout_s: float = 10,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        now_ms: Callable[[], int] | None = None,
        rate_limit_ms: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0:
            raise InvalidInput("max_retries", f"must be >= 0 (got {max_retries})")
        self._name = f"{exchange}-{market}"
        self._client = _client(exchange, market, timeout_s)
        if api_url is not None:
            _point_at(self._client, api_url)
        if rate_limit_ms is not None:
            self._client.rateLimit = rate_limit_ms
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._clock = now_ms
        self._sleep = sleep
        self._unified: dict[str, tuple[str, int]] = {}  # symbol → (ccxt symbol, page rows)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def ccxt_id(self) -> str:
        """The ccxt exchange class used (e.g. `binanceusdm`)."""
        return str(self._client.id)

    @property
    def market_type(self) -> str:
        """ccxt's default market type for this source (e.g. `swap`)."""
        return str(self._client.options.get("defaultType"))

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        with self._lock:
            unified, page_rows = self._market(symbol)
            now_ms = self._now_ms()
            first = ceil_minute(start_ms)
            end = min(ceil_minute(end_ms), final_end_ms(now_ms))  # nothing still forming
            if first >= end:
                return Candles.empty()
            fetch = partial(self._page, symbol, unified, page_rows)
            return self._to_candles(symbol, read_minutes(fetch, first, end))

    def close(self) -> None:
        """Close the HTTP session (the source can still be used; it reopens)."""
        self._client.session.close()

    # -- the exchange --------------------------------------------------------------------

    def _market(self, symbol: str) -> tuple[str, int]:
        if symbol not in self._unified:
            markets = self._call("loading the markets", self._client.load_markets)
            self._unified[symbol] = self._pick_market(symbol, markets)
        return self._unified[symbol]

    def _pick_market(self, symbol: str, markets: dict[str, Any]) -> tuple[str, int]:
        candidates = [m for m in markets.values() if m.get("id") == symbol]
        if not candidates:
            raise UnknownSymbol(symbol, self._name)
        wanted = self._client.options.get("defaultType")
        market = next((m for m in candidates if m.get("type") == wanted), candidates[0])
        return str(market["symbol"]), self._page_rows(market)

    def _page_rows(self, market: dict[str, Any]) -> int:
        """The page size ccxt documents for this kind of market."""
        features = self._client.features.get(market.get("type"), {}) or {}
        features = features.get(market.get("subType"), features) or {}
        limit = (features.get("fetchOHLCV") or {}).get("limit")
        return int(limit) if limit else _DEFAULT_PAGE_ROWS

    def _now_ms(self) -> int:
        if self._clock is not None:
            return self._clock()
        if self._client.has.get("fetchTime"):
            server_ms = self._call("reading the server time", self._client.fetch_time)
            if server_ms is not None:
                return int(server_ms)
        return int(time.time() * 1000)

    def _page(
        self, symbol: str, unified: str, rows: int, since_ms: int, until_ms: int
    ) -> list[tuple[int, Row]]:
        what = f"reading {symbol} 1m candles from {_iso(since_ms)}"
        answer = self._call(
            what,
            lambda: self._client.fetch_ohlcv(
                unified, "1m", since=since_ms, limit=rows, params={"until": until_ms}
            ),
        )
        try:
            return [(int(r[0]), _prices(r)) for r in answer]
        except (TypeError, ValueError, IndexError) as exc:
            raise MarketDataError(f"{self._name}: {what}: unreadable row ({exc})") from exc

    def _to_candles(self, symbol: str, rows: Page) -> Candles:
        times = sorted(rows)
        table = np.array([rows[t] for t in times], dtype=np.float64).reshape(-1, 5)
        try:
            return Candles(
                open_time_ms=np.array(times, dtype=np.int64),
                open=table[:, 0],
                high=table[:, 1],
                low=table[:, 2],
                close=table[:, 3],
                volume=table[:, 4],
            )
        except InvalidInput as exc:
            raise MarketDataError(f"{self._name}: bad {symbol} candles: {exc}") from exc

    # -- retries -------------------------------------------------------------------------

    def _call(self, what: str, action: Callable[[], T]) -> T:
        attempts = self._max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return action()
            except ccxt.OperationFailed as exc:  # network, timeout, 429/418, 5xx
                if attempt == attempts:
                    raise MarketDataError(
                        f"{self._name}: {what} failed after {attempts} attempts: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                wait_s = self._wait_s(what, exc, attempt)
                logger.warning(
                    "%s: %s failed (attempt %d of %d), retrying in %.2f s: %s",
                    self._name, what, attempt, attempts, wait_s, exc,
                )  # fmt: skip
                self._sleep(wait_s)
            except ccxt.BaseError as exc:
                raise MarketDataError(
                    f"{self._name}: {what} failed: {type(exc).__name__}: {exc}"
                ) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait_s(self, what: str, exc: Exception, attempt: int) -> float:
        backoff_s = self._backoff_s * 2.0 ** (attempt - 1)
        if not isinstance(exc, (ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
            return backoff_s
        asked_s = _retry_after_s(self._client.last_response_headers or {})
        if asked_s > MAX_RETRY_AFTER_S:
            raise MarketDataError(
                f"{self._name}: {what}: the exchange asks to wait {asked_s:.0f} s "
                f"(Retry-After), more than {MAX_RETRY_AFTER_S:.0f} s; not retrying: {exc}"
            ) from exc
        return max(backoff_s, asked_s)


def _client(exchange: str, market: str, timeout_s: float) -> Any:
    if exchange == "binance":
        if market not in _BINANCE:
            known = ", ".join(_BINANCE)
            raise InvalidInput("market", f"binance markets are {known} (got {market!r})")
        ccxt_id, options = _BINANCE[market]
    else:
        ccxt_id, options = exchange, {"defaultType": market}
    if ccxt_id not in ccxt.exchanges:
        raise InvalidInput("exchange", f"must be a ccxt exchange id (got {exchange!r})")
    config = {"enableRateLimit": True, "timeout": int(timeout_s * 1000), "options": options}
    return getattr(ccxt, ccxt_id)(config)


def _point_at(client: Any, api_url: str) -> None:
    """Send every REST endpoint to `api_url`, keeping each endpoint's path."""
    origin = urlsplit(api_url)

    def moved(url: object) -> object:
        if isinstance(url, str):
            return urlsplit(url)._replace(scheme=origin.scheme, netloc=origin.netloc).geturl()
        if isinstance(url, dict):
            return {key: moved(value) for key, value in url.items()}
        return url

    client.urls["api"] = moved(client.urls["api"])


def _prices(row: list[Any]) -> Row:
    volume = 0.0 if row[5] is None else float(row[5])
    return float(row[1]), float(row[2]), float(row[3]), float(row[4]), volume


def _retry_after_s(headers: Any) -> float:
    """Seconds asked by a Retry-After header, in seconds or as an HTTP date; 0 when absent.

    A date is measured from the answer's own Date header, so the local clock does not matter.
    """
    value = headers.get("Retry-After")
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    until = _http_date(value)
    sent = _http_date(headers.get("Date")) or datetime.now(UTC)
    return max(0.0, (until - sent).total_seconds()) if until else 0.0


def _http_date(value: str | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _iso(time_ms: int) -> str:
    return datetime.fromtimestamp(time_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
