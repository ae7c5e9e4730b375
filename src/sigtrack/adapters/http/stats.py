"""The read routes over the numbers: winrate, breakdowns, the dashboard's overview, the
weekly report, comparisons and advice — each the service call and the renderer the CLI's
`--json` uses, so a number here is the number there. Each route answers the renderer's JSON
as it is (a JSONResponse: no response model to validate it against again, on the hot path)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from sigtrack.adapters.http.auth import may_read
from sigtrack.adapters.http.errors import READ_ERRORS, declared
from sigtrack.adapters.http.signals import Services
from sigtrack.core.advice import DEFAULT_MIN_N as ADVICE_MIN_N
from sigtrack.core.breakdowns import DEFAULT_MIN_N, BreakdownKey
from sigtrack.core.errors import InvalidInput
from sigtrack.core.render.advice import advice_json
from sigtrack.core.render.breakdown import breakdown_json
from sigtrack.core.render.comparison import comparison_json
from sigtrack.core.render.overview import overview_json
from sigtrack.core.render.report import REPORT_FORMATS
from sigtrack.core.render.weekly import render_weekly_text, weekly_json
from sigtrack.core.render.weekly_html import render_weekly_html
from sigtrack.core.render.winrate import winrate_json
from sigtrack.core.signal_input import parse_datetime
from sigtrack.core.texts import Lang, parse_lang

router = APIRouter(tags=["stats"], dependencies=[Depends(may_read)],
                   responses=declared(*READ_ERRORS))  # fmt: skip

Days = Annotated[int, Query(ge=1, le=36_500, description="The last N days (display zone)")]
When = Annotated[str | None, Query(description="ISO-8601 or a date; no offset: display zone")]
AsOf = Annotated[str | None, Query(description="Count as if it were this time (ISO-8601)")]
MinN = Annotated[int, Query(ge=1, le=1_000_000, description="Rank only rows with N WIN/LOSS")]
LangQ = Annotated[str | None, Query(description="id or en (default: the setting)")]
BY = "|".join(key.value for key in BreakdownKey)


def _now(s: Services, as_of: str | None) -> datetime:
    return parse_datetime(as_of, "as_of", s.zone) if as_of else s.clock()


def _time(s: Services, value: str | None, field: str) -> datetime | None:
    return parse_datetime(value, field, s.zone) if value else None


def _lang(s: Services, lang: str | None) -> Lang:
    return parse_lang(lang) if lang else s.lang


@router.get("/stats/winrate", summary="The /winrate numbers of the last N days")
def winrate(s: Services, days: Days = 7, as_of: AsOf = None) -> JSONResponse:
    return JSONResponse(winrate_json(s.tracking.winrate(days, now=_now(s, as_of)), s.zone))


@router.get("/stats/breakdown", summary="Winrate, interval, PnL and R per group")
def breakdown(
    s: Services,
    by: Annotated[str, Query(description=BY)] = "symbol",
    days: Days = 30,
    since: When = None,
    until: When = None,
    min_n: MinN = DEFAULT_MIN_N,
    as_of: AsOf = None,
) -> JSONResponse:
    start, end = s.analysis.window(now=_now(s, as_of), days=days, since=_time(s, since, "since"),
                                   until=_time(s, until, "until"))  # fmt: skip
    result = s.analysis.stats(by, since=start, until=end, min_n=min_n)
    return JSONResponse(breakdown_json(result, start, end, s.zone))


@router.get("/stats/overview", summary="The dashboard's window: numbers, curve, breakdowns")
def overview(
    s: Services,
    days: Days = 30,
    since: When = None,
    until: When = None,
    min_n: MinN = DEFAULT_MIN_N,
    as_of: AsOf = None,
) -> JSONResponse:
    view = s.analysis.overview(now=_now(s, as_of), days=days, since=_time(s, since, "since"),
                               until=_time(s, until, "until"), min_n=min_n)  # fmt: skip
    return JSONResponse(overview_json(view, s.zone))


@router.get(
    "/reports/weekly",
    summary="The weekly report of an ISO week (default: the last complete one)",
    response_class=JSONResponse,
    responses={200: {"content": {"text/plain": {}, "text/html": {}}}},
)
def weekly(
    s: Services,
    week: Annotated[str | None, Query(description="e.g. 2026-W47")] = None,
    format: Annotated[str, Query(description="|".join(REPORT_FORMATS))] = "json",
    lang: LangQ = None,
    as_of: AsOf = None,
) -> Response:
    if format not in REPORT_FORMATS:
        raise InvalidInput("format", f"must be one of {', '.join(REPORT_FORMATS)} (got {format!r})")
    fmt, language = format, _lang(s, lang)
    report = s.analysis.weekly(week, now=_now(s, as_of))
    if fmt == "html":
        return HTMLResponse(render_weekly_html(report, language))
    if fmt == "text":
        return PlainTextResponse(render_weekly_text(report, language))
    return JSONResponse(weekly_json(report, language))


@router.get("/compare", summary="Two sets of signals side by side, with a verdict")
def compare(
    s: Services,
    a: Annotated[str, Query(description="A filter, e.g. strategy=v1")],
    b: Annotated[str, Query(description="A filter, e.g. strategy=v2")],
) -> JSONResponse:
    side_a, side_b = s.analysis.chosen(a, option="a"), s.analysis.chosen(b, option="b")
    return JSONResponse(comparison_json(s.analysis.compare(side_a, side_b), side_a, side_b))


@router.get("/advice", summary="Recommendations with the numbers behind them")
def advice(
    s: Services,
    filter: Annotated[str, Query(description="Which signals (default: all)")] = "",
    min_n: MinN = ADVICE_MIN_N,
    lang: LangQ = None,
) -> JSONResponse:
    return JSONResponse(advice_json(s.analysis.advise(filter, min_n=min_n), _lang(s, lang)))
