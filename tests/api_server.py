"""The HTTP API on a real uvicorn server on 127.0.0.1, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import uvicorn

from sigtrack.adapters.http import ApiAccess, create_api
from sigtrack.bootstrap import App, api_services

WRITE_TOKEN = "w" * 8 + "-test-write-token"
READ_TOKEN = "r" * 8 + "-test-read-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def api_for(
    app: App,
    *,
    write_token: str | None = WRITE_TOKEN,
    read_token: str | None = READ_TOKEN,
    reads_open: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> Any:
    services = api_services(app)
    if clock is not None:
        from dataclasses import replace  # noqa: PLC0415

        services = replace(services, clock=clock)
    access = ApiAccess(write_token=write_token, read_token=read_token, reads_open=reads_open)
    return create_api(services, access)


@contextmanager
def running_api(app: App, **options: Any) -> Iterator[str]:
    """Serve `app`'s API on a free loopback port until the block ends; yields its base
    URL. Options as `api_for` (write_token, read_token, reads_open, clock)."""
    port = free_port()
    config = uvicorn.Config(api_for(app, **options), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
