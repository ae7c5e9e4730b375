"""What the API's routes need: the services they call, who may read and write, the zone
and language of what they render, and the clock."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum

from sigtrack.core.errors import InvalidInput
from sigtrack.core.texts import Lang
from sigtrack.services.analysis import AnalysisService
from sigtrack.services.jobs import JobsService
from sigtrack.services.status import StatusService
from sigtrack.services.tracking import TrackingService

TOKEN_VARIABLE = "SIGTRACK_API_TOKEN"
READ_TOKEN_VARIABLE = "SIGTRACK_API_READ_TOKEN"
MIN_TOKEN_CHARS = 16


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiServices:
    tracking: TrackingService
    analysis: AnalysisService
    status: StatusService
    jobs: JobsService
    zone: tzinfo
    lang: Lang = Lang.ID
    clock: Callable[[], datetime] = field(default=utc_now)


class Grant(StrEnum):
    NONE = "none"
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiAccess:
    """The write token (SIGTRACK_API_TOKEN; none: writes are refused), a read-only token
    (SIGTRACK_API_READ_TOKEN) and whether reads are open to anyone."""

    write_token: str | None = None
    read_token: str | None = None
    reads_open: bool = True

    def __post_init__(self) -> None:
        for name, token in ((TOKEN_VARIABLE, self.write_token),
                            (READ_TOKEN_VARIABLE, self.read_token)):  # fmt: skip
            if token is not None and (len(token) < MIN_TOKEN_CHARS or not token.isprintable()
                                      or " " in token):  # fmt: skip
                # a secret: say what is wrong with it, never what it is
                raise InvalidInput(
                    name,
                    f"must be at least {MIN_TOKEN_CHARS} printable characters without spaces "
                    f"(got {len(token)} characters)",
                )
        if self.write_token is not None and self.write_token == self.read_token:
            raise InvalidInput(READ_TOKEN_VARIABLE, f"must differ from {TOKEN_VARIABLE}")

    def grant(self, presented: str | None) -> Grant:
        """What a presented bearer token allows, compared in constant time with both."""
        if presented is None:
            return Grant.NONE
        given = presented.encode("utf-8", "surrogatepass")
        writes = _same(given, self.write_token)
        reads = _same(given, self.read_token)
        if writes:
            return Grant.WRITE
        return Grant.READ if reads else Grant.NONE

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(t for t in (self.write_token, self.read_token) if t)


def _same(given: bytes, token: str | None) -> bool:
    if token is None:
        hmac.compare_digest(given, given)  # the same work whether or not a token is set
        return False
    return hmac.compare_digest(given, token.encode("utf-8"))
