"""Who may read and who may write: `Authorization: Bearer <token>`, the write token
(SIGTRACK_API_TOKEN) for writes, the read-only token or the write token for reads when
reads are not open. No token set means writes are refused, never a default secret."""

from __future__ import annotations

from fastapi import Request

from sigtrack.adapters.http.context import READ_TOKEN_VARIABLE, TOKEN_VARIABLE, ApiAccess, Grant
from sigtrack.adapters.http.errors import ApiError

HEADER = "Authorization"


def presented_token(request: Request) -> str | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, HEADER, "must be `Bearer <token>`")
    return token.strip()


def access_of(request: Request) -> ApiAccess:
    access: ApiAccess = request.app.state.access
    return access


async def may_read(request: Request) -> None:
    """A dependency of every read: open, or a valid token of either kind."""
    access = access_of(request)
    token = presented_token(request)
    if token is not None and access.grant(token) is Grant.NONE:
        raise ApiError(401, HEADER, "the token is not valid")
    if not access.reads_open and token is None:
        raise ApiError(
            401, HEADER,
            f"reads need a token here: send `Bearer <token>` ({READ_TOKEN_VARIABLE} or "
            f"{TOKEN_VARIABLE})",
        )  # fmt: skip


async def may_write(request: Request) -> None:
    """A dependency of every write: the write token, and only it."""
    access = access_of(request)
    if access.write_token is None:
        raise ApiError(
            403, HEADER,
            f"writes are off: set {TOKEN_VARIABLE} to a secret of at least 16 characters "
            "(e.g. `openssl rand -hex 32`) and restart `sigtrack serve`",
        )  # fmt: skip
    token = presented_token(request)
    if token is None:
        raise ApiError(401, HEADER, f"writes need `Bearer <token>` ({TOKEN_VARIABLE})")
    grant = access.grant(token)
    if grant is Grant.READ:
        raise ApiError(403, HEADER, "this token may only read")
    if grant is not Grant.WRITE:
        raise ApiError(401, HEADER, "the token is not valid")
