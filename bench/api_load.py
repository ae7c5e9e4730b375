"""The HTTP API benchmark's two small parts that run in processes of their own.

- `run_load(spec)`: a load generator that costs little CPU — asyncio (uvloop when
  installed) over raw HTTP/1.1 keep-alive connections, each writing one request and
  reading the status line, the headers and the Content-Length body before the next. A
  warm-up, then a fixed time; every request's latency is kept. Closed loop by default (each
  connection sends as soon as its answer is in); with `rate` set, open loop: requests are
  due at fixed times and a late one is timed from when it was due, so a server that falls
  behind shows it in the tail instead of hiding it (no coordinated omission).
- `python bench/api_load.py reference --kind asgi|fastapi`: the plain reference server —
  the same uvicorn settings as `sigtrack serve` (loop and http "auto", one worker, one
  pre-bound socket with the same backlog, no access log) around either a bare ASGI
  callable or a FastAPI app whose sync routes return a constant, answering with the bodies
  it is given.

See bench/README.md ("HTTP API").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI  # at the top: the routes' string annotations name Body

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSpec:
    """One scenario against one server; pickled into the load process."""

    port: int
    method: str  # GET or POST
    path: str
    server_pid: int
    headers: tuple[tuple[str, str], ...] = ()
    post_prefix: str = ""  # POST: each request a new signal, signal_id <prefix>-<n>
    connections: int = 16
    warmup_s: float = 2.0
    duration_s: float = 10.0
    rate: float | None = None  # open loop at this many requests/s; None: closed loop


@dataclass(slots=True)
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    warmup_requests: int = 0
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    loop: str = "asyncio"


def signal_body(prefix: str, n: int) -> bytes:
    """A valid LONG signal, new each time (its own signal_id)."""
    signal = {"signal_id": f"{prefix}-{n}", "symbol": SYMBOLS[n % len(SYMBOLS)],
              "side": "LONG", "timeframe": "15m", "entry": 100, "tp1": 101, "sl": 99}  # fmt: skip
    return json.dumps(signal, separators=(",", ":")).encode()


def request_bytes(spec: LoadSpec, n: int) -> bytes:
    head = f"{spec.method} {spec.path} HTTP/1.1\r\nHost: 127.0.0.1:{spec.port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in spec.headers)
    if spec.method == "GET":
        return (head + "\r\n").encode()
    body = signal_body(spec.post_prefix, n)
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(status, body) of one HTTP/1.1 response with a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        raise ValueError(f"no Content-Length in {head[:200]!r}")
    end = lower.index(b"\r\n", at + 2)
    length = int(lower[at + 17 : end])
    return status, await reader.readexactly(length)


def server_cpu(pid: int) -> float | None:
    """utime + stime of a process, in seconds (None once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Run:
    """The shared state of the connections: the clock, the counter, what was measured."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.result = LoadResult()
        self.sent = 0
        self.started = time.perf_counter()
        self.measure_from = self.started + spec.warmup_s
        self.end = self.measure_from + spec.duration_s
        self.last_done = self.measure_from
        self.marks: dict[str, float | None] = {}

    def next_request(self) -> tuple[int, float] | None:
        """The number of the next request and when it is due; None once the time is up."""
        n = self.sent
        rate = self.spec.rate  # open loop: the schedule runs from the start, warm-up included
        due = time.perf_counter() if rate is None else self.started + n / rate
        if due >= self.end:
            return None
        self.sent += 1
        return n, due

    def record(self, due: float, done: float, status: int, body: bytes) -> None:
        if due < self.measure_from:
            self.result.warmup_requests += 1
            return
        self.result.latencies_ms.append((done - due) * 1000)
        self.result.statuses[status] += 1
        self.last_done = max(self.last_done, done)
        if not 200 <= status < 300 and len(self.result.errors) < 5:
            self.result.errors.append(f"{status}: {body[:300]!r}")


async def connection(run: Run) -> None:
    spec = run.spec
    reader, writer = await asyncio.open_connection("127.0.0.1", spec.port)
    try:
        while (step := run.next_request()) is not None:
            n, due = step
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(request_bytes(spec, n))
            status, body = await read_response(reader)
            run.record(due, time.perf_counter(), status, body)
    finally:
        writer.close()


async def mark_window(run: Run) -> None:
    """Read both processes' CPU when the measured window opens and when it closes."""
    await asyncio.sleep(max(0.0, run.measure_from - time.perf_counter()))
    run.marks["client"], run.marks["server"] = time.process_time(), server_cpu(run.spec.server_pid)
    await asyncio.sleep(max(0.0, run.end - time.perf_counter()))


async def drive(spec: LoadSpec) -> LoadResult:
    run = Run(spec)
    await asyncio.gather(mark_window(run), *(connection(run) for _ in range(spec.connections)))
    result = run.result
    result.elapsed_s = run.last_done - run.measure_from
    client, server = time.process_time(), server_cpu(spec.server_pid)
    result.client_cpu_s = client - (run.marks["client"] or 0.0)
    server_from = run.marks["server"]
    if server is not None and server_from is not None:
        result.server_cpu_s = server - server_from
    return result


def run_load(spec: LoadSpec) -> LoadResult:
    """One scenario, run in this (the load) process."""
    try:
        import uvloop  # noqa: PLC0415 — the same loop uvicorn's "auto" picks, when installed
    except ImportError:
        result = asyncio.run(drive(spec))
    else:
        result = uvloop.run(drive(spec))
        result.loop = "uvloop"
    return result


def get_once(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One GET on a fresh connection (readiness checks, the bodies to mirror)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536) or b""
        head, body = data.split(b"\r\n\r\n", 1)
        lower = head.lower()
        at = lower.index(b"content-length:") + 15
        length = int(lower[at : lower.find(b"\r\n", at) if b"\r\n" in lower[at:] else None])
        while len(body) < length:
            body += sock.recv(65536)
        return int(head[9:12]), body


# --- the reference server -------------------------------------------------------------


def asgi_app(bodies: dict[str, bytes], post_body: bytes) -> Any:
    """A bare ASGI callable: the given body for a known GET path, 201 for any POST."""
    json_headers = [(b"content-type", b"application/json")]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        more = True
        while more:  # the whole request body, as a real handler reads it
            message = await receive()
            more = message.get("more_body", False)
        if scope["method"] == "POST":
            status, body = 201, post_body
        else:
            status, body = (200, bodies[scope["path"]]) if scope["path"] in bodies else (404, b"{}")
        headers = [*json_headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def fastapi_app(bodies: dict[str, bytes], post_body: bytes) -> Any:
    """FastAPI with sync routes typed `-> dict[str, Any]` (run in the thread pool and
    validated against that type, as sigtrack's are) returning the same bodies as parsed
    JSON, so FastAPI serializes them again: the framework's share without sigtrack's work."""
    app = FastAPI(docs_url=None, redoc_url=None)

    def constant(value: dict[str, Any]) -> Any:
        def route() -> dict[str, Any]:
            return value

        return route

    for path, body in bodies.items():
        app.get(path)(constant(json.loads(body)))
    posted = json.loads(post_body)

    @app.post("/signals", status_code=201)
    def track(body: Annotated[Any, Body()]) -> dict[str, Any]:
        return posted

    return app


def serve_reference(args: argparse.Namespace) -> None:
    import uvicorn  # noqa: PLC0415

    bodies = {path: Path(file).read_bytes() for path, file in json.loads(args.bodies).items()}
    post_body = b'{"signal_ids":["bench-post-000000"]}'
    make = asgi_app if args.kind == "asgi" else fastapi_app
    app = make(bodies, post_body)
    listening = socket.create_server(("127.0.0.1", 0), backlog=2048)
    print(f"reference: http://127.0.0.1:{listening.getsockname()[1]}/", flush=True)
    config = uvicorn.Config(app, lifespan="on", log_config=None, server_header=False,
                            access_log=False, timeout_graceful_shutdown=30)  # fmt: skip
    # uvicorn raises the stop signal again to the handler it found: a quiet one, as in
    # `sigtrack serve`, so that SIGTERM ends the reference with exit code 0 too
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(config).run(sockets=[listening])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The API benchmark's reference server")
    commands = parser.add_subparsers(dest="command", required=True)
    reference = commands.add_parser("reference")
    reference.add_argument("--kind", choices=("asgi", "fastapi"), default="asgi")
    reference.add_argument("--bodies", default="{}", help='JSON {"/path": "file", …}')
    args = parser.parse_args(argv)
    serve_reference(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
