"""The one place the API turns errors into answers: JSON naming the field and the reason,
with the status that says whose fault it is (422 bad input, 404 unknown id, 409 conflict,
401 / 403 access, 503 store down). An unexpected error is a 500 that says nothing of the
internals; the server logs it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sigtrack.core.errors import (
    InvalidBatch,
    InvalidInput,
    MarketDataError,
    SignalNotFound,
    SigtrackError,
    StateConflict,
    StorageError,
)

logger = logging.getLogger(__name__)

SHOWN_INPUT = 80  # characters of a refused value quoted back


class ApiError(Exception):
    """An answer other than 2xx that a route or a check decides on."""

    def __init__(self, status: int, field: str, reason: str, **extra: Any) -> None:
        self.status, self.field, self.reason, self.extra = status, field, reason, extra
        super().__init__(f"{field}: {reason}")


def error_response(
    status: int, field: str, reason: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"status": status, "field": field, "reason": reason, "message": f"{field}: {reason}"}
    return JSONResponse({"error": body | extra}, status_code=status, headers=headers)


def install_error_handlers(api: FastAPI) -> None:
    api.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    api.add_exception_handler(SigtrackError, _sigtrack_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, _unexpected)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.field, exc.reason, headers, **exc.extra)


async def _sigtrack_error(request: Request, exc: SigtrackError) -> JSONResponse:
    if isinstance(exc, InvalidBatch):
        problems = [{"index": i, "field": e.field, "reason": e.reason} for i, e in exc.problems]
        return error_response(422, exc.field, exc.reason, problems=problems)
    if isinstance(exc, InvalidInput):
        return error_response(422, exc.field, exc.reason)
    if isinstance(exc, SignalNotFound):
        return error_response(404, "signal_id", f"no signal with id {exc.signal_id!r}")
    if isinstance(exc, StateConflict):
        return error_response(409, "signal_id", str(exc).removeprefix("signal_id: "))
    if isinstance(exc, StorageError):
        logger.warning("%s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "store", str(exc))
    if isinstance(exc, MarketDataError):
        return error_response(502, "candles", str(exc))
    return error_response(400, "request", str(exc))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [_problem(error) for error in exc.errors()]
    first = problems[0] if problems else {"field": "request", "reason": "is not valid"}
    return error_response(422, first["field"], first["reason"], problems=problems)


def _problem(error: Any) -> dict[str, str]:
    """A pydantic error as (field, reason): the field is the parameter or body key."""
    where: Sequence[object] = error.get("loc", ())
    path = [str(part) for part in where[1:]] if len(where) > 1 else [str(p) for p in where]
    field = ".".join(path) or "body"
    if error.get("type") == "json_invalid":  # loc is ("body", <char offset>): not a field
        field = "body"
    reason = str(error.get("msg", "is not valid"))
    if "input" in error and error.get("type") != "missing":
        shown = repr(error["input"])
        shown = shown if len(shown) <= SHOWN_INPUT else shown[:SHOWN_INPUT] + "…"
        reason += f" (got {shown})"
    return {"field": field, "reason": reason}


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 404:
        return error_response(404, "path", f"no such endpoint: {request.url.path}")
    if exc.status_code == 405:
        return error_response(405, "method", f"{request.method} is not allowed here",
                              dict(exc.headers or {}))  # fmt: skip
    return error_response(exc.status_code, "request", str(exc.detail), dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # the server logs the traceback itself (uvicorn: "Exception in ASGI application")
    return error_response(500, "server", "an internal error; it is logged")
