"""The HTTP API and the dashboard (FastAPI): the same services and renderers as the CLI
and the bot, behind bearer tokens for writes."""

from sigtrack.adapters.http.app import create_api
from sigtrack.adapters.http.context import (
    READ_TOKEN_VARIABLE,
    TOKEN_VARIABLE,
    ApiAccess,
    ApiServices,
    Grant,
)

__all__ = ["READ_TOKEN_VARIABLE", "TOKEN_VARIABLE", "ApiAccess", "ApiServices", "Grant",
           "create_api"]  # fmt: skip
