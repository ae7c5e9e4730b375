"""A loopback stand-in for Binance USDⓈ-M futures: the endpoints ccxt's binanceusdm calls.

`FakeBinance` serves `exchangeInfo`, `klines`, `time` and `ping` under `/fapi/v1` on
127.0.0.1 with Binance's formats and limits (klines: inclusive startTime/endTime on the
open time, at most 1500 rows, the still-forming candle included). Tests give it candles
per symbol, move its clock, inject faults, and read how many requests each endpoint got.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from sigtrack.core.candles import MINUTE_MS, Candles

PREFIX = "/fapi/v1"
MAX_KLINES = 1500
DEFAULT_KLINES = 500
DEFAULT_NOW_MS = int(datetime(2026, 11, 23, 5, 0, tzinfo=UTC).timestamp() * 1000)
LISTED = {"BTCUSDT": ("BTC", "USDT"), "ETHUSDT": ("ETH", "USDT"), "XRPUSDT": ("XRP", "USDT")}


@dataclass(frozen=True, slots=True)
class KlinesRequest:
    """What one klines request asked for (None: parameter not sent)."""

    symbol: str
    start_ms: int | None
    end_ms: int | None
    limit: int


@dataclass(slots=True)
class _Fault:
    endpoint: str
    times: int
    status: int = 0
    retry_after_s: int | None = None
    retry_after_as_date: bool = False
    stall_s: float = 0.0


class BinanceError(Exception):
    """A Binance error answer: HTTP status and the JSON body Binance sends."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.body = {"code": code, "msg": msg}


class FakeBinance:
    """The fake exchange; use as a context manager or call `start()` / `stop()`."""

    def __init__(self, *, now_ms: int = DEFAULT_NOW_MS) -> None:
        self.now_ms = now_ms
        self.requests: Counter[str] = Counter()
        self.klines_asked: list[KlinesRequest] = []
        self._candles: dict[str, Candles] = {}
        self._skipped: dict[str, set[int]] = {}
        self._drop_once: dict[str, set[int]] = {}
        self._faults: list[_Fault] = []
        self._short_pages: list[int] = []  # row caps of the next klines answers
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeBinance:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBinance:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake exchange first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- what it serves ----------------------------------------------------------------

    def serve(self, symbol: str, candles: Candles) -> None:
        """Serve these 1-minute candles for a listed symbol."""
        assert symbol in LISTED, f"{symbol} is not listed on the fake exchange"
        with self._lock:
            self._candles[symbol] = candles

    def skip(self, symbol: str, open_time_ms: int) -> None:
        """The exchange never has this minute (a real gap): every answer leaves it out."""
        with self._lock:
            self._skipped.setdefault(symbol, set()).add(open_time_ms)

    def drop_once(self, symbol: str, open_time_ms: int) -> None:
        """The first answer that would hold this minute leaves it out; later ones have it."""
        with self._lock:
            self._drop_once.setdefault(symbol, set()).add(open_time_ms)

    # -- faults ------------------------------------------------------------------------

    def fail(
        self,
        endpoint: str,
        status: int,
        *,
        times: int = 1,
        retry_after_s: int | None = None,
        retry_after_as_date: bool = False,
    ) -> None:
        """The next `times` requests to `endpoint` answer `status` (429: with Retry-After,
        in seconds or as an HTTP date)."""
        fault = _Fault(
            endpoint,
            times,
            status=status,
            retry_after_s=retry_after_s,
            retry_after_as_date=retry_after_as_date,
        )
        with self._lock:
            self._faults.append(fault)

    def stall(self, endpoint: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` requests to `endpoint` wait `seconds` before answering."""
        with self._lock:
            self._faults.append(_Fault(endpoint, times, stall_s=seconds))

    def shorten_pages(self, rows: int, *, times: int = 1) -> None:
        """The next `times` klines answers hold at most `rows` rows, though more exist."""
        with self._lock:
            self._short_pages.extend([rows] * times)

    @property
    def faults_left(self) -> int:
        """Injected faults not yet served (0 once a test's faults all happened)."""
        with self._lock:
            drops = sum(len(times) for times in self._drop_once.values())
            return sum(f.times for f in self._faults) + len(self._short_pages) + drops

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.klines_asked.clear()

    # -- answers (called from the server threads) --------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], object]:
        endpoint = path.removeprefix(PREFIX + "/")
        with self._lock:
            self.requests[endpoint] += 1
            fault = self._take_fault(endpoint)
        if fault is not None and fault.stall_s:
            self._stopping.wait(fault.stall_s)
        if fault is not None and fault.status:
            return _fault_answer(fault)
        try:
            return 200, {}, self._route(path, endpoint, query)
        except BinanceError as exc:
            return exc.status, {}, exc.body

    def _take_fault(self, endpoint: str) -> _Fault | None:
        for fault in self._faults:
            if fault.endpoint == endpoint and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _route(self, path: str, endpoint: str, query: dict[str, str]) -> object:
        if not path.startswith(PREFIX + "/"):
            raise BinanceError(404, -1, f"no such path {path}")
        if endpoint == "ping":
            return {}
        if endpoint == "time":
            return {"serverTime": self.now_ms}
        if endpoint == "exchangeInfo":
            return _exchange_info(self.now_ms)
        if endpoint == "klines":
            return self._klines(query)
        raise BinanceError(404, -1, f"no such path {path}")

    def _klines(self, query: dict[str, str]) -> list[list[object]]:
        asked = _klines_request(query)
        now_ms = self.now_ms
        with self._lock:
            self.klines_asked.append(asked)
            candles = self._candles.get(asked.symbol, Candles.empty())
            skipped = self._skipped.get(asked.symbol, set())
            rows = _select(candles, asked, now_ms, skipped)
            dropped = self._drop_once.get(asked.symbol, set())
            transient = {int(candles.open_time_ms[i]) for i in rows} & dropped
            dropped -= transient
            cap = self._short_pages.pop(0) if self._short_pages else None
        served = [i for i in rows if int(candles.open_time_ms[i]) not in transient]
        if cap is not None:
            served = served[:cap]
        return [_kline_row(candles, i, now_ms) for i in served]


def _klines_request(query: dict[str, str]) -> KlinesRequest:
    symbol = query.get("symbol", "")
    if not symbol:
        raise BinanceError(
            400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
        )
    if symbol not in LISTED:
        raise BinanceError(400, -1121, "Invalid symbol.")
    if query.get("interval") != "1m":
        raise BinanceError(400, -1120, "Invalid interval.")
    limit = int(query.get("limit", DEFAULT_KLINES))
    if not 1 <= limit <= MAX_KLINES:
        raise BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    start = int(query["startTime"]) if "startTime" in query else None
    end = int(query["endTime"]) if "endTime" in query else None
    if start is not None and end is not None and start > end:
        raise BinanceError(400, -1023, "Start time is greater than end time.")
    return KlinesRequest(symbol, start, end, limit)


def _select(candles: Candles, asked: KlinesRequest, now_ms: int, skipped: set[int]) -> list[int]:
    """Row indexes Binance would answer: open time in [start, end], none after now."""
    times = candles.open_time_ms
    last = min(asked.end_ms if asked.end_ms is not None else now_ms, now_ms)
    keep = times <= last
    if asked.start_ms is not None:
        keep &= times >= asked.start_ms
    if skipped:
        keep &= ~np.isin(times, np.fromiter(skipped, dtype=np.int64))
    rows = [int(i) for i in np.flatnonzero(keep)]
    return rows[: asked.limit] if asked.start_ms is not None else rows[-asked.limit :]


def _kline_row(candles: Candles, i: int, now_ms: int) -> list[object]:
    """One row as Binance sends it; the forming candle carries what traded so far."""
    open_ms = int(candles.open_time_ms[i])
    open_, high, low, close = (float(candles.open[i]), float(candles.high[i]),
                               float(candles.low[i]), float(candles.close[i]))  # fmt: skip
    volume = float(candles.volume[i])
    if open_ms + MINUTE_MS > now_ms:
        done = (now_ms - open_ms) / MINUTE_MS
        close, high, low, volume = open_, open_, open_, volume * done
    return [
        open_ms,
        repr(open_),
        repr(high),
        repr(low),
        repr(close),
        repr(volume),
        open_ms + MINUTE_MS - 1,
        repr(round(volume * close, 8)),
        max(1, int(volume)),
        repr(round(volume / 2, 8)),
        repr(round(volume * close / 2, 8)),
        "0",
    ]


def _fault_answer(fault: _Fault) -> tuple[int, dict[str, str], object]:
    if fault.status == 429:
        wait_s = fault.retry_after_s or 0
        headers = {"Retry-After": str(wait_s)}
        if fault.retry_after_as_date:
            now_s = int(time.time())
            headers = {
                "Date": formatdate(now_s, usegmt=True),
                "Retry-After": formatdate(now_s + wait_s, usegmt=True),
            }
        msg = "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute."
        return 429, headers, {"code": -1003, "msg": msg}
    if fault.status >= 500:
        msg = "An unknown error occured while processing the request."
        return fault.status, {}, {"code": -1000, "msg": msg}
    return fault.status, {}, {"code": -1, "msg": f"injected status {fault.status}"}


def _exchange_info(now_ms: int) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 2400,
            },
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "assets": [
            {"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"},
        ],
        "symbols": [_symbol_info(symbol, base, quote) for symbol, (base, quote) in LISTED.items()],
    }


def _symbol_info(symbol: str, base: str, quote: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "pair": symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": base,
        "quoteAsset": quote,
        "marginAsset": quote,
        "pricePrecision": 2,
        "quantityPrecision": 3,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": ["PoW"],
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.0001",
                "maxPrice": "4529764",
                "tickSize": "0.0001",
            },
            {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.001",
                "maxQty": "120",
                "stepSize": "0.001",
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": "100"},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": "1.0500",
                "multiplierDown": "0.9500",
                "multiplierDecimal": "4",
            },
        ],
        "orderTypes": [
            "LIMIT",
            "MARKET",
            "STOP",
            "STOP_MARKET",
            "TAKE_PROFIT",
            "TAKE_PROFIT_MARKET",
            "TRAILING_STOP_MARKET",
        ],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        "permissionSets": ["GRID", "COPY"],
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout test) closes the socket under us: not an error."""


def _handler_for(fake: FakeBinance) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            status, headers, body = fake.answer(parts.path, query)
            data = json.dumps(body).encode()
            self.send_response_only(status)
            self.send_header("Server", self.version_string())
            self.send_header("Date", headers.pop("Date", None) or self.date_time_string())
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: tests read `fake.requests` instead."""

    return Handler
