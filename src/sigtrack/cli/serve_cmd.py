"""`sigtrack serve`: one process that runs the HTTP API and the dashboard, the settling
monitor, the automatic jobs and, when TELEGRAM_BOT_TOKEN is set, the bot; SIGTERM stops it
cleanly (requests answered, the current pass and tick finished, the bot stopped)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sigtrack.bootstrap import (
    api_services,
    installed_version,
    jobs_service,
    journal_loop,
    monitor_loop,
)
from sigtrack.cli.app import State, app, mask_in_logs, out, state
from sigtrack.cli.bot_cmd import TOKEN_VARIABLE as BOT_TOKEN_VARIABLE
from sigtrack.cli.bot_cmd import bot_token, build_bot, log_without_token
from sigtrack.cli.settle_cmd import CandlesOption
from sigtrack.cli.signals_cmd import whole_number
from sigtrack.core.errors import InvalidInput, SigtrackError

if TYPE_CHECKING:  # FastAPI is imported only when the server starts
    from sigtrack.adapters.http import ApiAccess

logger = logging.getLogger(__name__)

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ServeError(SigtrackError):
    """The server could not listen where it was asked to."""


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[str, typer.Option(metavar="N", help="Port (0: any free one).")] = str(
        DEFAULT_PORT
    ),
    no_monitor: Annotated[
        bool, typer.Option("--no-monitor", help="No settling monitor (run it elsewhere).")
    ] = False,
    no_jobs: Annotated[
        bool, typer.Option("--no-jobs", help="Leave the automatic jobs to cron.")
    ] = False,
    no_bot: Annotated[
        bool, typer.Option("--no-bot", help="No Telegram bot, even with TELEGRAM_BOT_TOKEN.")
    ] = False,
    candles: CandlesOption = None,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log one line per request.")
    ] = False,
) -> None:
    """Run the HTTP API and the dashboard, the settling monitor, the automatic jobs and the
    Telegram bot (when TELEGRAM_BOT_TOKEN is set) until SIGINT / SIGTERM."""
    run_server(state(ctx), host=host, port=parse_port(port), monitor=not no_monitor,
               jobs=not no_jobs, bot=not no_bot, candles=candles,
               access_log=access_log)  # fmt: skip


def parse_port(value: str) -> int:
    number = whole_number(value, "--port")
    if number is None or not 0 <= number <= 65_535:
        raise InvalidInput("--port", f"must be a port from 0 to 65535 (got {value!r})")
    return number


def run_server(
    st: State,
    *,
    host: str,
    port: int,
    monitor: bool,
    jobs: bool,
    bot: bool,
    candles: Path | None = None,
    page: str = "",
    access_log: bool = False,
) -> None:
    """Serve until a stop signal; `page` is added to the dashboard's address printed."""
    import uvicorn  # noqa: PLC0415 — the server loads only when serving

    from sigtrack.adapters.http import create_api  # noqa: PLC0415

    access = api_access(st.settings.api_reads == "open")
    token = bot_token() if bot and os.environ.get(BOT_TOKEN_VARIABLE, "").strip() else None
    _log_at_info(access_log=access_log)
    mask_in_logs(access.secrets)
    if token is not None:
        log_without_token(token)
    start, stop, running = _background(st, token=token, monitor=monitor, jobs=jobs,
                                       candles=candles)  # fmt: skip

    @asynccontextmanager
    async def lifespan(api: Any) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    api = create_api(api_services(st.app), access, lifespan=lifespan, version=installed_version())
    listening = _listen(host, port)
    address = _address(listening)
    if host not in LOOPBACK and access.reads_open:
        logger.warning("reads are open to anyone who can reach %s (SIGTRACK_API_READS=token "
                       "closes them)", address)  # fmt: skip
    writes = "on" if access.write_token else "off (set SIGTRACK_API_TOKEN)"
    out.print(f"serve: dashboard {address}/{page}", markup=False)
    out.print(f"serve: API {address}/openapi.json; writes {writes}; reads "
              f"{'open' if access.reads_open else 'with a token'}; {running} "
              "(Ctrl-C or SIGTERM stops)", markup=False)  # fmt: skip
    config = uvicorn.Config(api, lifespan="on", log_config=None, server_header=False,
                            access_log=access_log, timeout_graceful_shutdown=30)  # fmt: skip
    with _signals_end_quietly():
        uvicorn.Server(config).run(sockets=[listening])
    out.print("serve: stopped", markup=False)


def api_access(reads_open: bool) -> ApiAccess:
    """The tokens from the environment (never from a file or a default)."""
    from sigtrack.adapters.http import (  # noqa: PLC0415
        READ_TOKEN_VARIABLE,
        TOKEN_VARIABLE,
        ApiAccess,
    )

    def token(name: str) -> str | None:
        return os.environ.get(name, "").strip() or None

    return ApiAccess(write_token=token(TOKEN_VARIABLE), read_token=token(READ_TOKEN_VARIABLE),
                     reads_open=reads_open)  # fmt: skip


def _background(
    st: State, *, token: str | None, monitor: bool, jobs: bool, candles: Path | None
) -> tuple[Callable[[], Any], Callable[[], Any], str]:
    """What runs beside the API, started and stopped with it: the bot (and, with it, the
    monitor, the announcements and the jobs), or without a bot the monitor and the jobs."""
    if token is not None:
        from sigtrack.adapters.telegram import start_embedded, stop_embedded  # noqa: PLC0415

        built = build_bot(st, token, monitor=monitor, jobs=jobs, candles=candles)

        async def start_bot() -> None:
            await start_embedded(built.application)

        async def stop_bot() -> None:
            await stop_embedded(built.application)

        return start_bot, stop_bot, f"bot on, polling {built.summary}"
    from sigtrack.adapters.jobs import Ticker, Workers  # noqa: PLC0415
    from sigtrack.cli.jobs_cmd import admins_sender  # noqa: PLC0415

    ticker = None
    if jobs:
        service = jobs_service(st.app, send=admins_sender(st.settings))
        ticker = Ticker(lambda now: service.run_due(now=now))
    workers = Workers(monitor=monitor_loop(st.app, candles=candles) if monitor else None,
                      ticker=ticker, replayer=journal_loop(st.app))  # fmt: skip

    async def start() -> None:
        workers.start()

    async def stop() -> None:
        await asyncio.to_thread(workers.stop)

    running = (f"bot off; monitor {'on' if monitor else 'off'}, jobs "
               f"{'on' if ticker else 'off'}")  # fmt: skip
    return start, stop, running


def _listen(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port), family=_family(host), backlog=2048)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _address(listening: socket.socket) -> str:
    host, port = listening.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _log_at_info(*, access_log: bool) -> None:
    """sigtrack's and the server's own lines at INFO (the rest stays at WARNING unless
    --verbose); with `access_log`, one line per request too."""
    names = ["sigtrack", "uvicorn.error", *(["uvicorn.access"] if access_log else [])]
    for name in names:
        chosen = logging.getLogger(name)
        if chosen.getEffectiveLevel() > logging.INFO:
            chosen.setLevel(logging.INFO)


@contextmanager
def _signals_end_quietly() -> Iterator[None]:
    """uvicorn stops on SIGINT / SIGTERM and then raises the signal again to the handler
    it found: a quiet one here, so that a clean stop is a clean exit (code 0)."""
    quiet = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in quiet.items():
            signal.signal(sig, handler)
