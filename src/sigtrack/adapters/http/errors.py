"""The one place the API turns errors into answers: JSON naming the field and the reason,
with the status that says whose fault it is (422 bad input, 404 unknown id, 409 conflict,
401 / 403 access, 503 store down). An unexpected error is a 500 that says nothing of the
internals; the server logs it. `ErrorAnswer` is the body of every one of them, and
`declared` puts the answers a route can give into the OpenAPI spec."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException

from sigtrack.core.errors import (
    InvalidBatch,
    InvalidInput,
    MarketDataError,
    SignalNotFound,
    SigtrackError,
    StateConflict,
    StorageError,
    shorten,
)

logger = logging.getLogger(__name__)

SHOWN_INPUT = 80  # characters of a refused value quoted back


def _left_out_when_none(schema: dict[str, Any]) -> None:
    """An optional key that is absent rather than null: no `"default": null` in its schema."""
    schema.pop("default", None)


class Problem(BaseModel):
    """One bad field of a 422."""

    model_config = ConfigDict(extra="forbid")

    index: Annotated[int, Field(ge=0)] | SkipJsonSchema[None] = Field(
        default=None,  # by name: mypy reads a positional default as none
        description="The item's position in a list of signals (a list only)",
        json_schema_extra=_left_out_when_none,
    )
    field: str
    reason: str


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The HTTP status again")
    field: str = Field(description="The parameter, body key or header at fault")
    reason: str = Field(description="What is wrong with it, quoting the value")
    message: str = Field(description="`field: reason`")
    problems: list[Problem] | SkipJsonSchema[None] = Field(
        default=None,
        description="422 only: every bad field, the first one above",
        json_schema_extra=_left_out_when_none,
    )


class ErrorAnswer(BaseModel):
    """The body of every answer that is not a 2xx."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


MEANINGS = {
    401: "No token, a token that is not valid, or not `Bearer <token>`",
    403: "Writes are off here (no write token is set), or the token may only read",
    404: "No signal with that id",
    409: "The signal is closed already (close with override to correct it), or its id is "
    "tracked with other content",
    413: "The body is larger than the API takes (the reason says the limit)",
    422: "A parameter or the body is not valid: `field` names the first problem, `problems` "
    "lists each",
    503: "The store failed or does not answer",
}
WRITE_ERRORS = (401, 403, 413, 422, 503)  # the body is read, the store written
READ_ERRORS = (401, 422, 503)  # a token shown must be valid, even where reads are open


def declared(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route can give, for its OpenAPI `responses`: each with the one
    error body and what the status means."""
    return {status: {"model": ErrorAnswer, "description": MEANINGS[status]}
            for status in sorted(set(statuses))}  # fmt: skip


class ApiError(Exception):
    """An answer other than 2xx that a route or a check decides on."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        self.status, self.field, self.reason = status, field, reason
        super().__init__(f"{field}: {reason}")


def error_response(
    status: int,
    field: str,
    reason: str,
    headers: dict[str, str] | None = None,
    *,
    problems: Sequence[Problem] | None = None,
) -> JSONResponse:
    detail = ErrorDetail(status=status, field=field, reason=reason, message=f"{field}: {reason}",
                         problems=None if problems is None else list(problems))  # fmt: skip
    body = ErrorAnswer(error=detail).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(api: FastAPI) -> None:
    api.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    api.add_exception_handler(SigtrackError, _sigtrack_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, _unexpected)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.field, exc.reason, headers)


async def _sigtrack_error(request: Request, exc: SigtrackError) -> JSONResponse:
    if isinstance(exc, InvalidBatch):
        problems = [Problem(index=i, field=e.field, reason=e.reason) for i, e in exc.problems]
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
    first = problems[0] if problems else Problem(field="request", reason="is not valid")
    return error_response(422, first.field, first.reason, problems=problems)


def _problem(error: Any) -> Problem:
    """A pydantic error as (field, reason): the field is the parameter or body key."""
    where: Sequence[object] = error.get("loc", ())
    path = [str(part) for part in where[1:]] if len(where) > 1 else [str(p) for p in where]
    field = ".".join(path) or "body"
    if error.get("type") == "json_invalid":  # loc is ("body", <char offset>), input is {}
        why = (error.get("ctx") or {}).get("error", "JSON decode error")
        at = f" (at character {where[1]})" if len(where) > 1 else ""
        return Problem(field="body", reason=f"is not valid JSON: {why}{at}")
    reason = str(error.get("msg", "is not valid"))
    if "input" in error and error.get("type") != "missing":
        shown = repr(error["input"])
        shown = shown if len(shown) <= SHOWN_INPUT else shown[:SHOWN_INPUT] + "…"
        reason += f" (got {shown})"
    return Problem(field=field, reason=reason)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    unreadable = _unreadable_body(exc)
    if unreadable is not None:
        return error_response(422, "body", unreadable)
    if exc.status_code == 404:
        return error_response(404, "path", f"no such endpoint: {request.url.path}")
    if exc.status_code == 405:
        return error_response(405, "method", f"{request.method} is not allowed here",
                              dict(exc.headers or {}))  # fmt: skip
    return error_response(exc.status_code, "request", str(exc.detail), dict(exc.headers or {}))


def _unreadable_body(exc: HTTPException) -> str | None:
    """Why a JSON body could not be read, where FastAPI answers 400 "There was an error
    parsing the body" (with the cause): bad input like invalid JSON, so a 422 naming it."""
    cause = exc.__cause__
    if exc.status_code != 400 or not isinstance(cause, ValueError | RecursionError):
        return None
    if isinstance(cause, UnicodeDecodeError):
        byte, at, read_as = cause.object[cause.start], cause.start, cause.encoding
        return f"must be JSON text in UTF-8 (byte {byte:#04x} at position {at} is not {read_as})"
    if isinstance(cause, RecursionError):
        return "is not valid JSON: nested too deeply to read"
    if "integer string conversion" in str(cause):
        return f"is not valid JSON: a number of more than {sys.get_int_max_str_digits()} digits"
    return f"is not valid JSON: {shorten(str(cause), SHOWN_INPUT)}"


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # the server logs the traceback itself (uvicorn: "Exception in ASGI application")
    return error_response(500, "server", "an internal error; it is logged")
