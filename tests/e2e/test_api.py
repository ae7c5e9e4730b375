"""The HTTP API over real HTTP (httpx against uvicorn on 127.0.0.1): who may write, the
422s that name the field, the writes themselves, pagination, and the CLI's numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import file_signal, run_quiet, write_lines

from api_server import READ_TOKEN, WRITE_TOKEN, running_api
from factories import settings_for
from sigtrack.bootstrap import App, build_app

AS_OF = "2026-01-12T12:00:00+07:00"
WRITE = {"Authorization": f"Bearer {WRITE_TOKEN}"}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
SIGNAL: dict[str, Any] = {"symbol": "BTCUSDT", "side": "LONG", "timeframe": "15m",
                          "entry": 100.0, "tp1": 101.0, "sl": 99.0}  # fmt: skip


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[App]:
    built = build_app(settings_for(db_url, data_dir=tmp_path))
    try:
        yield built
    finally:
        built.store.dispose()


@pytest.fixture
def base(app: App) -> Iterator[str]:
    with running_api(app) as url:
        yield url


def counts(base: str) -> tuple[int, str]:
    """How many signals, and every signal's history: what a refused write must not change."""
    items = httpx.get(f"{base}/signals", params={"limit": 500}).json()["items"]
    history = [httpx.get(f"{base}/signals/{i['signal_id']}").text for i in items]
    return len(items), json.dumps(history)


def error_of(response: httpx.Response, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status and error["field"] == field, error
    assert WRITE_TOKEN not in response.text and READ_TOKEN not in response.text
    return error


def one(base: str, **changes: Any) -> str:
    made = httpx.post(f"{base}/signals", json={**SIGNAL, **changes}, headers=WRITE)
    assert made.status_code == 201, made.text
    ids: list[str] = made.json()["signal_ids"]
    return ids[0]


WRITES = [("/signals", SIGNAL), ("/signals/{id}/close", {"result": "win"}),
          ("/signals/{id}/cancel", {})]  # fmt: skip


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_every_write_is_refused_without_the_write_token(base: str, path: str, body: Any) -> None:
    url = base + path.format(id=one(base))
    before = counts(base)
    refusals = [
        ({}, 401, "Authorization"),
        ({"Authorization": "Bearer wrong-token-wrong-token"}, 401, "not valid"),
        (READ, 403, "may only read"),
        ({"Authorization": f"Basic {WRITE_TOKEN}"}, 401, "Bearer"),
    ]
    for headers, status, words in refusals:
        error = error_of(httpx.post(url, json=body, headers=headers), status, "Authorization")
        assert words in error["message"] + error["reason"], error
    assert counts(base) == before


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_writes_are_off_when_no_write_token_is_set(app: App, path: str, body: Any) -> None:
    with running_api(app, write_token=None) as base:
        url = base + path.format(id="1_BTCUSDT_1")
        before = counts(base)
        error = error_of(httpx.post(url, json=body, headers=WRITE), 403, "Authorization")
        assert "SIGTRACK_API_TOKEN" in error["reason"]
        assert counts(base) == before


def test_reads_with_a_token_when_reads_are_closed(app: App) -> None:
    with running_api(app, reads_open=False) as base:
        url = f"{base}/stats/winrate"
        error_of(httpx.get(url), 401, "Authorization")
        error_of(httpx.get(url, headers={"Authorization": "Bearer nope-nope-nope-nope"}), 401,
                 "Authorization")  # fmt: skip
        assert httpx.get(url, headers=READ).status_code == 200
        assert httpx.get(url, headers=WRITE).status_code == 200
        bare = httpx.get(f"{base}/healthz")
        assert bare.status_code in (200, 503)
        assert "jobs" not in bare.json() and "zone" not in bare.json(), bare.text
        assert "jobs" in httpx.get(f"{base}/healthz", headers=READ).json()
    with running_api(app) as base:
        assert httpx.get(f"{base}/stats/winrate").status_code == 200
        assert "jobs" in httpx.get(f"{base}/healthz").json()


BAD_QUERIES = [
    ("/stats/winrate", {"days": "abc"}, "days"), ("/stats/winrate", {"days": "0"}, "days"),
    ("/stats/winrate", {"days": "99999"}, "days"),
    ("/stats/breakdown", {"by": "nonsense"}, "by"),
    ("/stats/breakdown", {"since": "garbage"}, "since"),
    ("/stats/breakdown", {"min_n": "0"}, "min_n"),
    ("/signals", {"limit": "0"}, "limit"), ("/signals", {"limit": "10000"}, "limit"),
    ("/signals", {"offset": "-1"}, "offset"), ("/signals", {"status": "bogus"}, "status"),
    ("/reports/weekly", {"format": "pdf"}, "format"),
    ("/reports/weekly", {"week": "2026-W99"}, "week"),
    ("/ui/texts", {"lang": "fr"}, "lang"), ("/compare", {"a": "bogus=1", "b": "side=LONG"}, "a"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "params", "field"), BAD_QUERIES)
def test_bad_queries_are_422s_naming_the_field(
    base: str, path: str, params: dict[str, str], field: str
) -> None:
    error_of(httpx.get(base + path, params=params), 422, field)


BAD_BODIES: list[tuple[str, str]] = [
    ("not json", "body"), ('"a string"', "body"), ("42", "body"), ("[]", "body"),
    (json.dumps({**SIGNAL, "colour": "red"}), "colour"),
    (json.dumps({**SIGNAL, "tp1": 98.0}), "tp1"),
    ('{"symbol": "BTCUSDT", "side": "LONG", "timeframe": "15m", "entry": NaN, "tp1": 101,'
     ' "sl": 99}', "entry"),
    (json.dumps({**SIGNAL, "sl": -1.0}), "sl"), (json.dumps({**SIGNAL, "side": "UP"}), "side"),
    (json.dumps({**SIGNAL, "timeframe": "7m"}), "timeframe"),
    (json.dumps({**SIGNAL, "created_at": "2026-01-08T10:00:00"}), "created_at"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "field"), BAD_BODIES)
def test_bad_signals_are_422s_naming_the_field_and_store_nothing(
    base: str, raw: str, field: str
) -> None:
    before = counts(base)
    response = httpx.post(f"{base}/signals", content=raw,
                          headers={**WRITE, "Content-Type": "application/json"})  # fmt: skip
    error = error_of(response, 422, response.json()["error"]["field"])
    assert field in (error["field"], error["message"]), error
    assert counts(base) == before


def test_a_list_with_one_bad_signal_stores_none_of_them(base: str) -> None:
    batch = [SIGNAL, {**SIGNAL, "side": "UP"}, {**SIGNAL, "symbol": "ETHUSDT"}]
    response = httpx.post(f"{base}/signals", json=batch, headers=WRITE)
    assert response.status_code == 422, response.text
    assert "1" in json.dumps(response.json()) and "side" in json.dumps(response.json())
    assert counts(base)[0] == 0


def test_bad_closes_and_cancels(base: str) -> None:
    signal_id = one(base)
    url = f"{base}/signals/{signal_id}/close"
    error_of(httpx.post(url, json={"result": "maybe"}, headers=WRITE), 422, "result")
    error_of(httpx.post(url, json={"result": "win", "pnl_pct": "x"}, headers=WRITE), 422,
             "pnl_pct")  # fmt: skip
    error_of(httpx.post(url, json={"result": "win", "override": "yes"}, headers=WRITE), 422,
             "override")  # fmt: skip
    error_of(httpx.post(url, json={"result": "win", "extra": 1}, headers=WRITE), 422, "extra")
    assert httpx.post(url, json={"result": "win", "pnl_pct": 1.0}, headers=WRITE).is_success
    error_of(httpx.post(f"{base}/signals/{signal_id}/cancel", headers=WRITE), 409,
             "signal_id")  # fmt: skip
    error_of(httpx.post(f"{base}/signals/nope/close", json={"result": "win"}, headers=WRITE),
             404, "signal_id")  # fmt: skip
    assert httpx.get(f"{base}/signals/nope").status_code == 404
    missing = httpx.get(f"{base}/no/such/path")
    assert missing.status_code == 404 and missing.json()
    big = httpx.post(f"{base}/signals", content=b"[" + b" " * 2_100_000 + b"]",
                     headers={**WRITE, "Content-Type": "application/json"})  # fmt: skip
    assert big.status_code == 413, big.text


def test_writes_track_close_override_and_cancel(base: str) -> None:
    first = one(base, signal_id="own-1", created_at=AS_OF)
    assert one(base, signal_id="own-1", created_at=AS_OF) == first and counts(base)[0] == 1
    made = httpx.post(
        f"{base}/signals",
        headers=WRITE,
        json=[{**SIGNAL, "symbol": s} for s in ("AUSDT", "BUSDT", "CUSDT")],
    )
    ids = made.json()["signal_ids"]
    assert made.status_code == 201 and len(ids) == 3
    assert [httpx.get(f"{base}/signals/{i}").json()["symbol"] for i in ids] == [
        "AUSDT", "BUSDT", "CUSDT"]  # fmt: skip
    close = f"{base}/signals/{first}/close"
    closed = httpx.post(close, json={"result": "win", "pnl_pct": 1.0}, headers=WRITE)
    assert closed.status_code == 200 and "WIN" in closed.text.upper(), closed.text
    assert httpx.post(close, json={"result": "loss"}, headers=WRITE).status_code == 409
    again = httpx.post(close, json={"result": "loss", "override": True}, headers=WRITE)
    assert again.status_code == 200, again.text
    assert "override" in httpx.get(f"{base}/signals/{first}").text.lower()
    cancelled = httpx.post(f"{base}/signals/{ids[0]}/cancel", headers=WRITE)
    assert cancelled.status_code == 200 and "CANCELLED" in cancelled.text


def test_pages_of_signals_newest_first(base: str) -> None:
    for day in range(1, 8):
        one(base, created_at=f"2026-01-0{day}T10:00:00+07:00")
    pages, offset = [], 0
    while offset is not None:
        page = httpx.get(f"{base}/signals", params={"limit": 3, "offset": offset}).json()
        pages.append(page)
        offset = page["next_offset"]
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [p["next_offset"] for p in pages] == [3, 6, None]
    created = [i["created_at"] for p in pages for i in p["items"]]
    assert created == sorted(created, reverse=True)
    since = httpx.get(f"{base}/signals", params={"since": "2026-01-05"}).json()["items"]
    assert len(since) == 3
    assert len(httpx.get(f"{base}/signals", params={"status": "closed"}).json()["items"]) == 0


def test_the_openapi_lists_every_route_and_there_is_no_cdn_swagger(base: str) -> None:
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    for route in ["/healthz", "/stats/winrate", "/stats/breakdown", "/stats/overview",
                  "/signals", "/signals/{signal_id}", "/signals/{signal_id}/close",
                  "/signals/{signal_id}/cancel", "/reports/weekly", "/compare", "/advice",
                  "/jobs", "/ui/texts"]:  # fmt: skip
        assert route in paths, route
    assert httpx.get(f"{base}/docs").status_code == 404


WRITE_ROUTES = ["/signals", "/signals/{signal_id}/close", "/signals/{signal_id}/cancel"]


def declared_errors(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    answers: dict[str, Any] = spec["paths"][path][method]["responses"]
    return {status: answer for status, answer in answers.items() if int(status) >= 400}


def test_the_openapi_declares_each_error_answer_with_the_one_error_body(base: str) -> None:
    spec = httpx.get(f"{base}/openapi.json").json()
    for path in WRITE_ROUTES:
        assert {"401", "403", "413", "422", "503"} <= set(declared_errors(spec, "post", path))
    for method, path in [("get", "/signals/{signal_id}"), *(("post", p) for p in WRITE_ROUTES[1:])]:
        assert "404" in declared_errors(spec, method, path), (method, path)
    for path in WRITE_ROUTES[1:]:
        assert "409" in declared_errors(spec, "post", path), path
    for path in ["/signals", "/stats/winrate", "/compare"]:
        assert {"401", "422", "503"} <= set(declared_errors(spec, "get", path)), path
    bodies = {answer["content"]["application/json"]["schema"]["$ref"]
              for path, item in spec["paths"].items() for method in item
              for status, answer in declared_errors(spec, method, path).items()
              if (path, status) != ("/healthz", "503")}  # fmt: skip
    assert bodies == {"#/components/schemas/ErrorAnswer"}
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 body is not what we send
    shapes = {name: (set(schemas[name]["properties"]), set(schemas[name]["required"]),
                     schemas[name]["additionalProperties"])
              for name in ("ErrorAnswer", "ErrorDetail", "Problem")}  # fmt: skip
    assert shapes == {
        "ErrorAnswer": ({"error"}, {"error"}, False),
        "ErrorDetail": ({"status", "field", "reason", "message", "problems"},
                        {"status", "field", "reason", "message"}, False),
        "Problem": ({"index", "field", "reason"}, {"field", "reason"}, False),
    }  # fmt: skip


def test_the_error_answers_have_the_declared_body(base: str) -> None:
    """Each kind of error answer, its keys exactly those the spec's ErrorAnswer allows."""
    signal_id = one(base)
    httpx.post(f"{base}/signals/{signal_id}/cancel", headers=WRITE)
    answers = [
        httpx.post(f"{base}/signals", json=SIGNAL),
        httpx.post(f"{base}/signals", json=SIGNAL, headers=READ),
        httpx.get(f"{base}/signals/nope"),
        httpx.post(f"{base}/signals/{signal_id}/cancel", headers=WRITE),
        httpx.post(f"{base}/signals", content=b"[" + b" " * 2_100_000 + b"]", headers=WRITE),
        httpx.get(f"{base}/signals", params={"limit": "0"}),
        httpx.post(f"{base}/signals", json=[SIGNAL, {**SIGNAL, "side": "UP"}], headers=WRITE),
    ]
    assert [a.status_code for a in answers] == [401, 403, 404, 409, 413, 422, 422]
    for answer in answers:
        error = answer.json()["error"]
        assert set(answer.json()) == {"error"}
        assert {"status", "field", "reason", "message"} <= set(error) <= {
            "status", "field", "reason", "message", "problems"}  # fmt: skip
        assert error["status"] == answer.status_code
        assert error["message"] == f"{error['field']}: {error['reason']}"
        for problem in error.get("problems", []):
            assert {"field", "reason"} <= set(problem) <= {"index", "field", "reason"}, problem
    batch = answers[-1].json()["error"]["problems"]
    assert [(p["index"], p["field"]) for p in batch] == [(1, "side")], batch
    assert "index" not in answers[-2].json()["error"]["problems"][0]  # a list's problems only


UNREADABLE: list[tuple[bytes, str]] = [
    (b"not json", "is not valid JSON: Expecting value (at character 0)"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b"1" * 5000, "a number of more than"),
    (b'{"symbol": "BTC\xc3\x28"}', "must be JSON text in UTF-8"),
]


@pytest.mark.parametrize(("raw", "why"), UNREADABLE)
def test_a_body_that_cannot_be_read_as_json_is_a_422_naming_the_body_and_why(
    base: str, raw: bytes, why: str
) -> None:
    """Not a 400 "There was an error parsing the body" (FastAPI's answer to a body that is
    too deep, holds a huge number or is not UTF-8), nor a 422 quoting the body as `{}`."""
    signal_id = one(base)
    before = counts(base)
    for path in ["/signals", f"/signals/{signal_id}/close", f"/signals/{signal_id}/cancel"]:
        response = httpx.post(base + path, content=raw,
                              headers={**WRITE, "Content-Type": "application/json"})  # fmt: skip
        error = error_of(response, 422, "body")
        assert why in error["reason"] and "(got {})" not in error["reason"], error
    assert counts(base) == before


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> str:
    created = [f"2026-01-{d:02d}T10:00:00+07:00" for d in (2, 5, 8, 9, 10, 11)]
    path = write_lines(tmp_path / "s.jsonl", [file_signal(created_at=c) for c in created])
    ids = run_quiet(db_url, "track", "--file", path).split()
    for signal_id, result, pnl in [
        (ids[0], "loss", "-1.0"),
        (ids[1], "win", "2.0"),
        (ids[2], "win", "2.5"),
        (ids[3], "loss", "-2.2"),
    ]:
        run_quiet(db_url, "close", signal_id, "--result", result, "--pnl", pnl)
    return db_url


def test_the_numbers_are_the_clis(seeded: str, tmp_path: Path) -> None:
    cli = lambda *a: json.loads(run_quiet(seeded, *a))  # noqa: E731
    app = build_app(settings_for(seeded, data_dir=tmp_path))
    try:
        with running_api(app) as base:
            get = lambda p, **q: httpx.get(base + p, params=q).json()  # noqa: E731
            for days in (7, 30):
                assert get("/stats/winrate", days=days, as_of=AS_OF) == cli(
                    "winrate", "--days", days, "--json", "--as-of", AS_OF
                )
            overview = get("/stats/overview", days=7, as_of=AS_OF)
            winrate = get("/stats/winrate", days=7, as_of=AS_OF)
            for key in ("total", "wins", "losses", "open"):
                assert overview["performance"][key] == winrate[key], key
            closes = [c["closed_at"] for c in overview["recent_closes"]]
            assert closes == sorted(closes, reverse=True)
            assert overview["open"]["total"] == winrate["open"]
            custom = httpx.get(
                f"{base}/stats/overview", params={"since": "2026-01-10", "until": "2026-01-09"}
            )
            error_of(custom, 422, custom.json()["error"]["field"])
            first = get("/signals", limit=1)["items"][0]["signal_id"]
            assert get(f"/signals/{first}") == cli("show", first, "--json")
    finally:
        app.store.dispose()


def test_api_access_refuses_short_or_equal_tokens_without_showing_them() -> None:
    from sigtrack.adapters.http import ApiAccess  # noqa: PLC0415
    from sigtrack.core.errors import InvalidInput  # noqa: PLC0415

    with pytest.raises(InvalidInput) as short:
        ApiAccess(write_token="short-secret", read_token=None)
    assert "short-secret" not in str(short.value)
    with pytest.raises(InvalidInput) as same:
        ApiAccess(write_token=WRITE_TOKEN, read_token=WRITE_TOKEN)
    assert WRITE_TOKEN not in str(same.value)


def test_more_numbers_are_the_clis(seeded: str, tmp_path: Path) -> None:
    cli = lambda *a: json.loads(run_quiet(seeded, *a))  # noqa: E731
    app = build_app(settings_for(seeded, data_dir=tmp_path))
    try:
        fixed = datetime.fromisoformat(AS_OF)
        with running_api(app, clock=lambda: fixed) as base:  # /jobs takes no as_of
            get = lambda p, **q: httpx.get(base + p, params=q).json()  # noqa: E731
            window = {"since": "2026-01-01", "until": "2026-01-13"}
            assert get("/stats/breakdown", by="symbol", **window) == cli(
                "stats", "--by", "symbol", "--since", window["since"], "--until",
                window["until"], "--json")  # fmt: skip
            assert get("/advice") == cli("advise", "--json")
            assert get("/reports/weekly", week="2026-W02", format="json") == cli(
                "report", "weekly", "--week", "2026-W02", "--json"
            )
            assert get("/jobs") == cli("jobs", "status", "--json", "--as-of", AS_OF)
    finally:
        app.store.dispose()
