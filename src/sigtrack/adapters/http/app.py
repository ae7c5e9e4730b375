"""The API as a FastAPI application: the routes, the error answers, the size limit on
bodies, and the dashboard's files served from the package (no CDN, nothing fetched from
anywhere else)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sigtrack.adapters.http import ops, signals, stats
from sigtrack.adapters.http.context import ApiAccess, ApiServices
from sigtrack.adapters.http.errors import error_response, install_error_handlers

STATIC = Path(__file__).with_name("static")
MAX_BODY_BYTES = 2_000_000  # a batch of about 5,000 signals; more is refused, unread

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_api(
    services: ApiServices,
    access: ApiAccess,
    *,
    lifespan: Lifespan | None = None,
    version: str = "",
) -> FastAPI:
    api = FastAPI(
        title="sigtrack",
        version=version or "0",
        summary="Trading signals: tracked, settled from candles, counted honestly.",
        docs_url=None,  # Swagger UI and ReDoc load their code from a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    api.state.services = services
    api.state.access = access
    install_error_handlers(api)
    for router in (signals.router, stats.router, ops.router):
        api.include_router(router)
    api.add_middleware(BodyLimit)
    if STATIC.is_dir():
        api.mount("/static", StaticFiles(directory=STATIC), name="static")

    @api.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    return api


class BodyLimit:
    """Refuse a body over MAX_BODY_BYTES with a 413, by its Content-Length or, without one,
    as soon as the bytes read pass the limit."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "body", f"must be at most {self.limit} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
