"""The signal routes: track (one or a list, all or nothing), close, cancel, list, show."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sigtrack.adapters.http.auth import may_read, may_write
from sigtrack.adapters.http.context import ApiServices
from sigtrack.adapters.http.errors import READ_ERRORS, WRITE_ERRORS, ApiError, declared
from sigtrack.core.errors import InvalidBatch
from sigtrack.core.render.signals import closing_json, record_json, signal_view
from sigtrack.core.render.values import Json
from sigtrack.core.signal_input import parse_datetime
from sigtrack.services.tracking import SignalInput

API_ACTOR = "api"
API_SOURCE = "api"
PAGE = 50
MAX_PAGE = 500
MAX_BATCH = 1000
MAX_OFFSET = 10**12  # past SQLite's 64-bit integers a deeper offset was a 500

router = APIRouter(tags=["signals"])


class SignalBody(BaseModel):
    """A signal as the bot builds it (the OpenAPI schema; the service checks every rule,
    and refuses keys it does not know)."""

    model_config = ConfigDict(extra="allow")

    symbol: str = Field(examples=["BTCUSDT"])
    side: str = Field(examples=["LONG"], description="LONG or SHORT (BUY / SELL)")
    timeframe: str = Field(examples=["15m"])
    entry: float = Field(examples=[50000.0])
    tp1: float | None = Field(None, examples=[51000.0])
    tp2: float | None = None
    targets: list[float] | None = None
    sl: float = Field(examples=[49000.0])
    confidence: float | None = Field(None, ge=0, le=100)
    reasons: list[str] | None = None
    tags: list[str] | None = None
    strategy: str | None = None
    source: str | None = None
    receivers: list[int] | None = None
    created_at: str | None = Field(None, description="ISO-8601 with an offset; default: now")
    signal_id: str | None = Field(None, description="Your own id; repeating it is idempotent")


_TRACK_BODY = {
    "content": {"application/json": {"schema": {
        "oneOf": [SignalBody.model_json_schema(),
                  {"type": "array", "items": SignalBody.model_json_schema(),
                   "minItems": 1, "maxItems": MAX_BATCH}],
    }}},
    "required": True,
}  # fmt: skip


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    result: str = Field(description="win, loss or breakeven")
    pnl_pct: float | None = Field(None, description="PnL in %, e.g. 2.5 or -1.8")
    actor: str = API_ACTOR
    note: str | None = None
    override: bool = Field(False, description="Correct a signal that is already closed")


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    actor: str = API_ACTOR
    note: str | None = None


async def services(request: Request) -> ApiServices:
    found: ApiServices = request.app.state.services
    return found


Services = Annotated[ApiServices, Depends(services)]


@router.post(
    "/signals",
    status_code=201,
    dependencies=[Depends(may_write)],
    openapi_extra={"requestBody": _TRACK_BODY},
    summary="Track one signal or a list of them (all or nothing)",
    responses=declared(*WRITE_ERRORS, 409),
)
def track(s: Services, body: Annotated[Any, Body()]) -> Json:
    now = s.clock()
    if isinstance(body, list):
        if not body:
            raise ApiError(422, "body", "must hold at least one signal (got [])")
        if len(body) > MAX_BATCH:
            raise ApiError(422, "body", f"at most {MAX_BATCH} signals (got {len(body)})")
        signals = [_with_source(item) for item in body]
        return {"signal_ids": s.tracking.record_many(signals, now=now, strict=True)}
    if not isinstance(body, dict):
        raise ApiError(422, "body", f"must be a signal object or a list of them (got {body!r:.80})")
    try:
        return {"signal_ids": s.tracking.record_many([_with_source(body)], now=now, strict=True)}
    except InvalidBatch as exc:  # one signal: its own field is the one to name
        raise exc.problems[0][1] from None


def _with_source(item: object) -> SignalInput:
    """The API's source unless the signal names its own; a value that is no object is
    passed on for the service to refuse by its position."""
    if isinstance(item, dict):
        return {"source": API_SOURCE, **item}
    return item  # type: ignore[return-value]


@router.post("/signals/{signal_id}/close", dependencies=[Depends(may_write)],
             summary="Close a signal by hand",
             responses=declared(*WRITE_ERRORS, 404, 409))  # fmt: skip
def close(s: Services, signal_id: str, body: CloseBody) -> Json:
    record = s.tracking.close(signal_id, result=body.result, now=s.clock(), actor=body.actor,
                              pnl_pct=body.pnl_pct, note=body.note,
                              override=body.override)  # fmt: skip
    return closing_json(record, s.zone)


@router.post("/signals/{signal_id}/cancel", dependencies=[Depends(may_write)],
             summary="Cancel an open signal",
             responses=declared(*WRITE_ERRORS, 404, 409))  # fmt: skip
def cancel(s: Services, signal_id: str, body: CancelBody | None = None) -> Json:
    body = body or CancelBody()
    record = s.tracking.cancel(signal_id, now=s.clock(), actor=body.actor, note=body.note)
    return closing_json(record, s.zone)


@router.get("/signals", dependencies=[Depends(may_read)], summary="Stored signals, newest first",
            responses=declared(*READ_ERRORS))  # fmt: skip
def list_signals(
    s: Services,
    status: Annotated[str | None, Query(description="active or closed")] = None,
    since: Annotated[str | None, Query(description="ISO-8601 or a date (display zone)")] = None,
    until: Annotated[str | None, Query(description="Up to, not including")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Json:
    records = s.tracking.list_signals(
        status=status,
        since=parse_datetime(since, "since", s.zone) if since else None,
        until=parse_datetime(until, "until", s.zone) if until else None,
        limit=limit + 1,  # one more says whether there is a next page
        offset=offset,
    )
    more = len(records) > limit
    return {
        "items": [record_json(r, s.zone) for r in records[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
    }


@router.get("/signals/{signal_id}", dependencies=[Depends(may_read)],
            summary="One signal with its history",
            responses=declared(*READ_ERRORS, 404))  # fmt: skip
def show(s: Services, signal_id: str) -> Json:
    return signal_view(s.tracking.get(signal_id), s.tracking.events(signal_id), s.zone)
