"""The operator's routes: health, the automatic jobs, the dashboard's texts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sigtrack.adapters.http.auth import may_read
from sigtrack.adapters.http.errors import ApiError, declared
from sigtrack.adapters.http.signals import Services
from sigtrack.core.render.health import health_json
from sigtrack.core.render.jobs import job_status_json
from sigtrack.core.render.values import Json
from sigtrack.core.texts import TEXTS, parse_lang

router = APIRouter(tags=["operations"])
UI_PREFIX = "dashboard."


@router.get("/healthz", summary="Store reachable, last monitor pass, last job runs, last backup",
            responses={503: {"description": "the store does not answer"}})  # fmt: skip
async def healthz(s: Services, request: Request) -> JSONResponse:
    """Open to anyone (load balancers, uptime checks): where reads need a token, a caller
    without one is told only whether the store answers."""
    health = await run_in_threadpool(s.status.health, now=s.clock())
    shown = health_json(health, s.zone)
    try:
        await may_read(request)
    except ApiError:
        shown = {"ok": shown["ok"], "store": {"reachable": shown["store"]["reachable"]}}
    return JSONResponse(shown, status_code=200 if health.ok else 503)


@router.get(
    "/jobs",
    dependencies=[Depends(may_read)],
    summary="Each automatic job's status",
    responses=declared(401, 503),
)  # no parameters: nothing to refuse with a 422
def jobs(s: Services) -> list[Json]:
    return [job_status_json(status, s.zone) for status in s.jobs.status(now=s.clock())]


@router.get(
    "/ui/texts", summary="The dashboard's labels in a language", responses=declared(422)
)  # open to anyone, and no store behind it
def ui_texts(s: Services, lang: Annotated[str | None, Query()] = None) -> Json:
    chosen = parse_lang(lang) if lang else s.lang
    shown = {key: texts[chosen] for key, texts in TEXTS.items() if key.startswith(UI_PREFIX)}
    return {"lang": chosen.value, "texts": shown}
